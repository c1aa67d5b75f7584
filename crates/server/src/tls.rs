//! HTTPS: rustls (ring provider only) in front of the same handler as plain HTTP.
//!
//! [`ServerTls`] holds the certificate and key behind a [`CertResolver`]: each handshake asks
//! it for the current [`CertifiedKey`], so replacing that key (on SIGHUP, see
//! [`ServerTls::reload_on_sighup`]) changes what new connections see while connections
//! already established keep the session they negotiated. A reload that fails (a missing or
//! malformed file, a key that does not match the certificate) changes nothing and is logged.
//!
//! ALPN offers `h2` and `http/1.1`; [`crate::run_with_tls`] serves whichever was chosen.
//!
//! [`ServerTls::self_signed`] makes a throwaway CA and a `localhost`/`127.0.0.1` certificate
//! for development: its CA is written out so clients can trust it, its key never is.
//!
//! Security notes: private keys are read from the files given and kept only inside rustls's
//! signing key; they are never logged. Only TLS 1.2 and 1.3 with rustls's safe defaults.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};
/// Re-exported so callers need no direct tokio-rustls dependency.
pub use tokio_rustls::TlsAcceptor;

/// Why TLS could not be set up or reloaded.
#[derive(Debug)]
pub struct TlsError(String);

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsError {}

/// Where the certificate comes from.
#[derive(Debug, Clone)]
enum Source {
    /// PEM files, read again on reload.
    Files { cert: PathBuf, key: PathBuf },
    /// Generated at start; nothing to reload.
    SelfSigned,
}

/// The certificate handshakes are answered with; swapped whole on reload.
#[derive(Debug)]
pub struct CertResolver {
    current: RwLock<Arc<CertifiedKey>>,
}

impl CertResolver {
    fn get(&self) -> Arc<CertifiedKey> {
        // A poisoned lock only means a writer panicked between two whole-Arc stores: the
        // value inside is still one complete key.
        match self.current.read() {
            Ok(k) => k.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set(&self, key: Arc<CertifiedKey>) {
        match self.current.write() {
            Ok(mut k) => *k = key,
            Err(poisoned) => *poisoned.into_inner() = key,
        }
    }
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.get())
    }
}

/// A TLS server configuration whose certificate can be replaced while serving.
#[derive(Debug)]
pub struct ServerTls {
    config: Arc<ServerConfig>,
    resolver: Arc<CertResolver>,
    provider: Arc<CryptoProvider>,
    source: Source,
}

/// What [`ServerTls::self_signed`] made besides the configuration.
#[derive(Debug)]
pub struct SelfSigned {
    /// The CA certificate, PEM: what clients must trust.
    pub ca_pem: String,
    /// SHA-256 fingerprint of the server certificate ([`fingerprint`]).
    pub fingerprint: String,
}

impl ServerTls {
    /// TLS with the certificate chain in the PEM file `cert` (end-entity first) and the
    /// private key (PKCS#8, PKCS#1 or SEC1) in the PEM file `key`.
    pub fn from_files(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certified = load_files(cert, key, &provider)?;
        Self::build(
            certified,
            provider,
            Source::Files {
                cert: cert.to_path_buf(),
                key: key.to_path_buf(),
            },
        )
    }

    /// TLS with a new development CA and a server certificate it signed for `localhost` and
    /// `127.0.0.1` (valid for as long as the process runs; made again at each start).
    pub fn self_signed() -> Result<(Self, SelfSigned), TlsError> {
        use rcgen::{
            BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
            IsCa, KeyPair, KeyUsagePurpose,
        };
        let err =
            |e: rcgen::Error| TlsError(format!("generating the self-signed certificate: {e}"));
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.distinguished_name.push(
            DnType::CommonName,
            "Cofre development CA (--tls-self-signed)",
        );
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(err)?)
            .map_err(err)?;

        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .map_err(err)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().map_err(err)?;
        let cert = params.signed_by(&key, &ca).map_err(err)?;

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain = vec![cert.der().clone(), ca.der().clone()];
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let certified = CertifiedKey::from_der(chain, key_der, &provider)
            .map_err(|e| TlsError(format!("the generated key: {e}")))?;
        let generated = SelfSigned {
            ca_pem: ca.pem(),
            fingerprint: fingerprint(cert.der()),
        };
        Ok((
            Self::build(certified, provider, Source::SelfSigned)?,
            generated,
        ))
    }

    fn build(
        certified: CertifiedKey,
        provider: Arc<CryptoProvider>,
        source: Source,
    ) -> Result<Self, TlsError> {
        let resolver = Arc::new(CertResolver {
            current: RwLock::new(Arc::new(certified)),
        });
        let mut config = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError(format!("TLS configuration: {e}")))?
            .with_no_client_auth()
            .with_cert_resolver(resolver.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self {
            config: Arc::new(config),
            resolver,
            provider,
            source,
        })
    }

    /// The acceptor handshakes go through.
    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.config.clone())
    }

    /// SHA-256 fingerprint of the end-entity certificate new handshakes are answered with.
    pub fn fingerprint(&self) -> String {
        self.resolver
            .get()
            .cert
            .first()
            .map(|c| fingerprint(c))
            .unwrap_or_default()
    }

    /// Reads the certificate and key files again and, if both are good and match, answers
    /// new handshakes with them. On error the current certificate stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        match &self.source {
            Source::Files { cert, key } => {
                let certified = load_files(cert, key, &self.provider)?;
                self.resolver.set(Arc::new(certified));
                Ok(())
            }
            Source::SelfSigned => Err(TlsError(
                "a --tls-self-signed certificate has no files to reload".to_owned(),
            )),
        }
    }

    /// Reloads on every SIGHUP, logging the outcome. The handler is installed before this
    /// returns (so a SIGHUP from then on never stops the process); must be called inside a
    /// tokio runtime.
    pub fn reload_on_sighup(self: &Arc<Self>) -> std::io::Result<()> {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hup = signal(SignalKind::hangup())?;
        // The task holds the configuration for the life of the process, as the acceptors do.
        let tls = self.clone();
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                match tls.reload() {
                    Ok(()) => tracing::info!(
                        fingerprint = %tls.fingerprint(),
                        "SIGHUP: TLS certificate reloaded; new connections use it"
                    ),
                    Err(e) => tracing::error!(
                        error = %e,
                        fingerprint = %tls.fingerprint(),
                        "SIGHUP: TLS reload failed; keeping the current certificate"
                    ),
                }
            }
        });
        Ok(())
    }
}

/// Reads and checks a certificate chain and its key.
fn load_files(
    cert: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| TlsError(format!("--tls-cert {}: {e}", cert.display())))?;
    if chain.is_empty() {
        return Err(TlsError(format!(
            "--tls-cert {}: no CERTIFICATE in the file",
            cert.display()
        )));
    }
    let key_der = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| TlsError(format!("--tls-key {}: {e}", key.display())))?;
    CertifiedKey::from_der(chain, key_der, provider).map_err(|e| {
        TlsError(format!(
            "--tls-cert {} / --tls-key {}: {e}",
            cert.display(),
            key.display()
        ))
    })
}

/// SHA-256 of a DER certificate, as upper-case hex pairs joined by `:` (openssl's
/// `x509 -fingerprint -sha256` format).
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}
