//! Signature checks for document signers and certificate chains, on `aws-lc-rs`.

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use der::asn1::ObjectIdentifier;
use der::Decode;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_WITH_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// A digest algorithm of ICAO documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    Sha256,
    Sha384,
    Sha512,
}

pub const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

impl Digest {
    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Digest> {
        match *oid {
            SHA256 => Some(Digest::Sha256),
            SHA384 => Some(Digest::Sha384),
            SHA512 => Some(Digest::Sha512),
            _ => None,
        }
    }

    pub fn hash(self, data: &[u8]) -> Vec<u8> {
        let alg = match self {
            Digest::Sha256 => &aws_lc_rs::digest::SHA256,
            Digest::Sha384 => &aws_lc_rs::digest::SHA384,
            Digest::Sha512 => &aws_lc_rs::digest::SHA512,
        };
        aws_lc_rs::digest::digest(alg, data).as_ref().to_vec()
    }
}

/// PSS parameters: `RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] …, maskGenAlgorithm [1] …,
/// saltLength [2] …, trailerField [3] … }`; only the hash is needed to pick the verifier.
#[derive(Debug, der::Sequence)]
struct PssParams {
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", optional = "true", tag_mode = "EXPLICIT")]
    mgf: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", optional = "true", tag_mode = "EXPLICIT")]
    salt: Option<u32>,
    #[asn1(context_specific = "3", optional = "true", tag_mode = "EXPLICIT")]
    trailer: Option<u32>,
}

/// Picks the verification algorithm for a signature algorithm (with `digest` for the bare
/// `rsaEncryption` OID that CMS signer infos often use) and a public key.
fn algorithm(
    sig_alg: &AlgorithmIdentifierOwned,
    digest: Option<Digest>,
    key: &SubjectPublicKeyInfoOwned,
) -> Result<&'static dyn VerificationAlgorithm, String> {
    let curve = || -> Result<ObjectIdentifier, String> {
        if key.algorithm.oid != EC_PUBLIC_KEY {
            return Err("ECDSA signature with a non-EC key".into());
        }
        key.algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
            .ok_or_else(|| "EC key without a named curve".to_string())
    };
    let rsa_key = || {
        if key.algorithm.oid == RSA_ENCRYPTION {
            Ok(())
        } else {
            Err("RSA signature with a non-RSA key".to_string())
        }
    };
    let pkcs1 = |d: Option<Digest>| -> Result<&'static dyn VerificationAlgorithm, String> {
        rsa_key()?;
        Ok(match d {
            Some(Digest::Sha256) => &signature::RSA_PKCS1_2048_8192_SHA256,
            Some(Digest::Sha384) => &signature::RSA_PKCS1_2048_8192_SHA384,
            Some(Digest::Sha512) => &signature::RSA_PKCS1_2048_8192_SHA512,
            None => return Err("unsupported digest for RSA".into()),
        })
    };
    match sig_alg.oid {
        RSA_ENCRYPTION => pkcs1(digest),
        SHA256_WITH_RSA => pkcs1(Some(Digest::Sha256)),
        SHA384_WITH_RSA => pkcs1(Some(Digest::Sha384)),
        SHA512_WITH_RSA => pkcs1(Some(Digest::Sha512)),
        RSASSA_PSS => {
            rsa_key()?;
            let params: PssParams = sig_alg
                .parameters
                .as_ref()
                .ok_or("PSS without parameters")?
                .decode_as()
                .map_err(|e| format!("PSS parameters: {e}"))?;
            let hash = params.hash.as_ref().and_then(|h| Digest::from_oid(&h.oid));
            // The verifier supports (as ICAO 9303-12 recommends) a salt as long as the hash.
            let hash_len = hash.map(|h| h.hash(b"").len() as u32);
            if hash_len.is_some() && params.salt.unwrap_or(20) != hash_len.unwrap_or(0) {
                return Err("PSS salt length must equal the hash length".into());
            }
            Ok(match hash {
                Some(Digest::Sha256) => &signature::RSA_PSS_2048_8192_SHA256,
                Some(Digest::Sha384) => &signature::RSA_PSS_2048_8192_SHA384,
                Some(Digest::Sha512) => &signature::RSA_PSS_2048_8192_SHA512,
                None => return Err("unsupported PSS hash (SHA-1 is not accepted)".into()),
            })
        }
        ECDSA_WITH_SHA256 | ECDSA_WITH_SHA384 | ECDSA_WITH_SHA512 => {
            let curve = curve()?;
            Ok(match (curve, sig_alg.oid) {
                (P256, ECDSA_WITH_SHA256) => &signature::ECDSA_P256_SHA256_ASN1,
                (P256, ECDSA_WITH_SHA384) => &signature::ECDSA_P256_SHA384_ASN1,
                (P384, ECDSA_WITH_SHA384) => &signature::ECDSA_P384_SHA384_ASN1,
                (P384, ECDSA_WITH_SHA256) => &signature::ECDSA_P384_SHA256_ASN1,
                _ => return Err("unsupported curve or hash for ECDSA".into()),
            })
        }
        other => Err(format!("unsupported signature algorithm {other}")),
    }
}

/// Verifies `signature` over `message` with the key of `key`.
pub fn verify(
    sig_alg: &AlgorithmIdentifierOwned,
    digest: Option<Digest>,
    key: &SubjectPublicKeyInfoOwned,
    message: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    let alg = algorithm(sig_alg, digest, key)?;
    let raw = key.subject_public_key.as_bytes().ok_or("public key is not a whole number of bytes")?;
    UnparsedPublicKey::new(alg, raw).verify(message, signature).map_err(|_| "signature does not verify".to_string())
}

/// Decodes a DER structure, naming it in the error.
pub fn decode<'a, T: Decode<'a>>(what: &str, bytes: &'a [u8]) -> Result<T, String> {
    T::from_der(bytes).map_err(|e| format!("{what}: {e}"))
}
