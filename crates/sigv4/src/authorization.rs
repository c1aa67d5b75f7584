//! Parsing the `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header.

use crate::error::{MissingParameters, SigV4Error};

/// The only algorithm this verifier accepts.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The credential scope's fixed last element.
pub const TERMINATOR: &str = "aws4_request";

/// A parsed `Authorization` header:
/// `AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/secretsmanager/aws4_request,
/// SignedHeaders=host;x-amz-date, Signature=<64 hex digits>`.
///
/// Parsing checks the form only. Whether the scope names the right service,
/// region and date is checked by [`prepare`](crate::prepare).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The access key id, the credential's first element.
    pub access_key_id: String,
    /// The scope date, `YYYYMMDD` (not yet checked against the request date).
    pub date: String,
    /// The scope region.
    pub region: String,
    /// The scope service.
    pub service: String,
    /// The scope terminator; `aws4_request` in a valid request.
    pub terminator: String,
    /// The signed header names, lowercased, in the client's order.
    pub signed_headers: Vec<String>,
    /// The signature, decoded: 32 bytes. Empty when the header's value was not
    /// 64 lowercase hex digits; such a request can never verify, and fails with
    /// the signature-mismatch error, as on AWS (which compares hex strings).
    pub signature: Vec<u8>,
}

impl Authorization {
    /// The credential scope, `date/region/service/terminator`.
    #[must_use]
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.date, self.region, self.service, self.terminator
        )
    }
}

/// Parses an `Authorization` header value.
///
/// # Errors
///
/// [`SigV4Error::MissingAuthenticationToken`] when the value is empty; [`SigV4Error::MalformedAuthorizationPair`],
/// [`SigV4Error::MissingAuthorizationParameters`] (never with `date` set),
/// [`SigV4Error::UnsupportedAlgorithm`] or [`SigV4Error::MalformedCredential`]
/// when it is malformed.
pub fn parse_authorization(value: &str) -> Result<Authorization, SigV4Error> {
    let raw = RawAuthorization::parse(value)?;
    raw.require_parameters(true)?;
    raw.require_algorithm()?;
    raw.into_authorization()
}

/// The header split into its parts, before any part is validated.
///
/// [`prepare`](crate::prepare) interleaves the remaining checks with its own in
/// AWS's order, so the stages are separate methods.
#[derive(Debug)]
pub(crate) struct RawAuthorization<'a> {
    /// The header value as received (AWS echoes it in some errors).
    pub value: &'a str,
    /// The first token, e.g. `AWS4-HMAC-SHA256`.
    pub algorithm: &'a str,
    /// `Credential=` value, if present.
    pub credential: Option<&'a str>,
    /// `SignedHeaders=` value, if present.
    pub signed_headers: Option<&'a str>,
    /// `Signature=` value, if present.
    pub signature: Option<&'a str>,
}

impl<'a> RawAuthorization<'a> {
    /// Splits the header. Tokens without `=` are malformed.
    pub(crate) fn parse(value: &'a str) -> Result<Self, SigV4Error> {
        // Anything but nothing is an attempt at a signature: `Authorization: garbage` is
        // answered as AWS's JSON services answer it (kinesalite records live Kinesis doing so),
        // with the missing parameters, not as a request without credentials.
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(SigV4Error::MissingAuthenticationToken);
        }
        let (algorithm, rest) = trimmed
            .split_once(|c: char| c.is_ascii_whitespace())
            .unwrap_or((trimmed, ""));
        let mut raw = Self {
            value,
            algorithm,
            credential: None,
            signed_headers: None,
            signature: None,
        };
        // AWS splits the parameters on commas *and* whitespace: a stray space in
        // `Credential= AKID/…` turns `AKID/…` into a token without `=`.
        for token in rest
            .split(|c: char| c == ',' || c.is_ascii_whitespace())
            .filter(|t| !t.is_empty())
        {
            let Some((key, val)) = token.split_once('=') else {
                return Err(SigV4Error::MalformedAuthorizationPair {
                    pair: token.to_owned(),
                    authorization: value.to_owned(),
                });
            };
            // The first occurrence wins; a repeated parameter cannot change what
            // the signature covers, since every part is re-derived and checked.
            let slot = match key {
                "Credential" => &mut raw.credential,
                "SignedHeaders" => &mut raw.signed_headers,
                "Signature" => &mut raw.signature,
                _ => continue,
            };
            slot.get_or_insert(val);
        }
        Ok(raw)
    }

    /// Fails when `Credential`, `Signature` or `SignedHeaders` is missing (an
    /// empty `Credential` or `Signature` counts as missing), or when the request
    /// has no date header (`has_date` false).
    pub(crate) fn require_parameters(&self, has_date: bool) -> Result<(), SigV4Error> {
        let missing = MissingParameters {
            credential: self.credential.is_none_or(str::is_empty),
            signature: self.signature.is_none_or(str::is_empty),
            signed_headers: self.signed_headers.is_none(),
            date: !has_date,
            authorization: self.value.to_owned(),
        };
        if missing.credential || missing.signature || missing.signed_headers {
            return Err(SigV4Error::MissingAuthorizationParameters(missing));
        }
        if missing.date {
            return Err(SigV4Error::MissingDate {
                authorization: missing.authorization,
            });
        }
        Ok(())
    }

    /// The signed header names, lowercased.
    pub(crate) fn signed_header_names(&self) -> Vec<String> {
        self.signed_headers
            .unwrap_or_default()
            .split(';')
            .filter(|name| !name.is_empty())
            .map(str::to_ascii_lowercase)
            .collect()
    }

    /// Fails unless the algorithm is `AWS4-HMAC-SHA256`.
    pub(crate) fn require_algorithm(&self) -> Result<(), SigV4Error> {
        if self.algorithm == ALGORITHM {
            Ok(())
        } else {
            Err(SigV4Error::UnsupportedAlgorithm {
                algorithm: self.algorithm.to_owned(),
            })
        }
    }

    /// Splits the credential into its five elements and decodes the signature.
    pub(crate) fn into_authorization(self) -> Result<Authorization, SigV4Error> {
        let credential = self.credential.unwrap_or_default();
        let mut parts: Vec<&str> = credential.split('/').collect();
        // AWS's server splits like Java's `String.split`, which drops trailing
        // empty strings: `AKID/…/aws4_request/` is accepted (dynalite's notes).
        while parts.last().is_some_and(|part| part.is_empty()) {
            parts.pop();
        }
        let [access_key_id, date, region, service, terminator] = parts.as_slice() else {
            return Err(SigV4Error::MalformedCredential {
                credential: credential.to_owned(),
            });
        };
        Ok(Authorization {
            access_key_id: (*access_key_id).to_owned(),
            date: (*date).to_owned(),
            region: (*region).to_owned(),
            service: (*service).to_owned(),
            terminator: (*terminator).to_owned(),
            signed_headers: self.signed_header_names(),
            signature: decode_signature(self.signature.unwrap_or_default()),
        })
    }
}

/// Decodes a signature of exactly 64 lowercase hex digits; anything else yields
/// an empty vector, which never matches.
fn decode_signature(hex_signature: &str) -> Vec<u8> {
    let well_formed = hex_signature.len() == 64
        && hex_signature
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if well_formed {
        hex::decode(hex_signature).unwrap_or_default()
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
        SignedHeaders=content-type;host;x-amz-date, \
        Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

    #[test]
    fn parses_a_well_formed_header() {
        let auth = parse_authorization(GOOD).expect("well-formed");
        assert_eq!(auth.access_key_id, "AKIDEXAMPLE");
        assert_eq!(auth.date, "20150830");
        assert_eq!(auth.region, "us-east-1");
        assert_eq!(auth.service, "iam");
        assert_eq!(auth.terminator, "aws4_request");
        assert_eq!(auth.scope(), "20150830/us-east-1/iam/aws4_request");
        assert_eq!(auth.signed_headers, ["content-type", "host", "x-amz-date"]);
        assert_eq!(
            hex::encode(&auth.signature),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    #[test]
    fn accepts_odd_spacing_and_a_trailing_slash() {
        let auth = parse_authorization(
            "  AWS4-HMAC-SHA256   Credential=AKID/20150830/r/s/aws4_request/,SignedHeaders=Host;X-Amz-Date,Signature=00  ",
        )
        .expect("well-formed");
        assert_eq!(auth.terminator, "aws4_request");
        assert_eq!(auth.signed_headers, ["host", "x-amz-date"]);
        assert!(
            auth.signature.is_empty(),
            "a short signature decodes to nothing"
        );
    }

    #[test]
    fn uppercase_hex_signature_never_matches() {
        let upper = GOOD.replace("5d672d79c15b", "5D672D79C15B");
        assert!(parse_authorization(&upper)
            .expect("well-formed")
            .signature
            .is_empty());
    }

    #[test]
    fn empty_is_missing_and_garbage_is_incomplete() {
        assert_eq!(
            parse_authorization("  "),
            Err(SigV4Error::MissingAuthenticationToken)
        );
        for value in ["garbage", "AWS4"] {
            assert!(
                matches!(
                    parse_authorization(value),
                    Err(SigV4Error::MissingAuthorizationParameters(_))
                ),
                "{value:?}"
            );
        }
        for value in ["Bearer abc", "AWS AKID:sig"] {
            assert!(
                matches!(
                    parse_authorization(value),
                    Err(SigV4Error::MalformedAuthorizationPair { .. })
                ),
                "{value:?}"
            );
        }
    }

    #[test]
    fn reports_the_token_without_equal_sign() {
        let value =
            "AWS4-HMAC-SHA256 Credential= AKID/20150830/us-east-1/secretsmanager/aws4_request, \
                     SignedHeaders=host;x-amz-date, Signature=00";
        let err = parse_authorization(value).expect_err("malformed");
        assert_eq!(err.code(), "IncompleteSignatureException");
        assert_eq!(
            err.message(),
            format!(
                "'AKID/20150830/us-east-1/secretsmanager/aws4_request' not a valid key=value pair \
                 (missing equal-sign) in Authorization header: '{value}'."
            )
        );
    }

    #[test]
    fn reports_missing_parameters() {
        let err = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/r/s/aws4_request, Signature=",
        )
        .expect_err("incomplete");
        assert_eq!(
            err.message(),
            "Authorization header requires 'Signature' parameter. \
             Authorization header requires 'SignedHeaders' parameter. \
             Authorization=AWS4-HMAC-SHA256 Credential=AKID/20150830/r/s/aws4_request, Signature="
        );
    }

    #[test]
    fn reports_unsupported_algorithm_and_bad_credentials() {
        let err = parse_authorization(
            "AWS4-HMAC-SHA512 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00",
        )
        .expect_err("bad algorithm");
        assert_eq!(
            err.message(),
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). "
        );
        let err = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=host, Signature=00",
        )
        .expect_err("four elements");
        assert_eq!(
            err.message(),
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b/c/d'"
        );
        let err = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f, SignedHeaders=host, Signature=00",
        )
        .expect_err("six elements");
        assert_eq!(
            err,
            SigV4Error::MalformedCredential {
                credential: "a/b/c/d/e/f".into()
            }
        );
    }
}
