//! Cryptography for Cofre: zeroizing secret types, AES-256-GCM sealing, envelope
//! encryption, and the small helpers (constant-time compare, associated-data encoding,
//! randomness) that the rest of the server builds on.
//!
//! # Layout
//!
//! - [`secret`] — [`SecretBytes`], [`Key256`] and [`RootKey`], the only types that hold
//!   key or plaintext material.
//! - [`aead`] — [`seal`] / [`open`], AES-256-GCM with a random nonce in a versioned
//!   format: `0x01 || nonce(12) || ciphertext || tag(16)`.
//! - [`envelope`] — [`envelope_seal`] / [`envelope_open`], a fresh data key per message
//!   wrapped under a key-encryption key:
//!   `0x01 || u16-be len(wrapped_dek) || wrapped_dek || sealed_payload`.
//! - [`shamir`] — splitting the root key into unseal key shares (Shamir over GF(2^8)) and
//!   [`shamir::KeyCheck`], the verification value that tells a right reconstruction.
//! - [`util`] — [`ct_eq`], [`aad`], [`random_bytes`], [`random_alnum`],
//!   [`random_from_alphabet`].
//! - [`error`] — [`CryptoError`].
//!
//! # Key hierarchy
//!
//! The [`RootKey`] (from the operator's key file) is the top. Callers seal further keys
//! under it with [`seal`], and encrypt secret values with [`envelope_seal`] under those
//! keys, so the root key only ever encrypts other keys.
//!
//! # Security notes
//!
//! - Secret material lives in [`SecretBytes`] / [`Key256`]: zeroed on drop, redacted in
//!   `Debug`, readable only through `expose()`. Decryption writes plaintext directly
//!   into a [`SecretBytes`], so no unzeroed copy is made by this crate. (Copies a caller
//!   makes after `expose()` are the caller's responsibility.)
//! - Every ciphertext is bound to associated data built with [`aad`]; callers pass the
//!   row identity (account, region, secret id, version id) so a blob copied into another
//!   row fails to decrypt instead of revealing the wrong secret.
//! - Opening never panics on any input, and every authentication failure is the single
//!   [`CryptoError::Decrypt`], which does not say which check failed.
//! - [`CryptoError`] messages never contain key bytes, plaintext, or decoder messages
//!   that could quote input.
//! - Nonces and keys come from the operating system CSPRNG (`OsRng`) on every call;
//!   there is no user-space RNG state to fork or snapshot.
//! - The format version byte leaves room to change algorithm later; a blob with an
//!   unknown version is rejected, never guessed at.

pub mod aead;
pub mod envelope;
pub mod error;
pub mod secret;
pub mod shamir;
pub mod util;

pub use aead::{open, seal};
pub use envelope::{envelope_open, envelope_seal};
pub use error::CryptoError;
pub use secret::{Key256, RootKey, SecretBytes, KEY_LEN};
pub use util::{aad, ct_eq, random_alnum, random_bytes, random_from_alphabet};
