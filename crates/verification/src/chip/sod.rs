//! EF.SOD: the document security object — CMS SignedData over the data-group hashes, signed by the
//! document signer (DS) whose certificate travels inside.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Any, Encode, Tag, TagNumber, Tagged};
use x509_cert::Certificate;

use super::lds::{LdsSecurityObject, ID_LDS_SECURITY_OBJECT};
use super::sig::{self, Digest};

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");

/// A parsed EF.SOD.
pub struct Sod {
    pub lds: LdsSecurityObject,
    /// The DER of the LDS security object (the signed content).
    pub econtent: Vec<u8>,
    pub signer: SignerInfo,
    pub ds_certificate: Certificate,
}

/// Removes the `[APPLICATION 23]` (0x77) wrapper of the EF.SOD file, if present.
fn unwrap_ef(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let any: Any = sig::decode("EF.SOD", bytes)?;
    if any.tag() == (Tag::Application { constructed: true, number: TagNumber::new(23) }) {
        Ok(any.value().to_vec())
    } else {
        Ok(bytes.to_vec())
    }
}

impl Sod {
    /// Parses EF.SOD (with or without its 0x77 wrapper). Every structural problem is an error
    /// naming the part; nothing here panics on hostile input.
    pub fn parse(bytes: &[u8]) -> Result<Sod, String> {
        let inner = unwrap_ef(bytes)?;
        let ci: ContentInfo = sig::decode("ContentInfo", &inner)?;
        if ci.content_type != ID_SIGNED_DATA {
            return Err("ContentInfo is not SignedData".into());
        }
        let sd: SignedData = ci.content.decode_as().map_err(|e| format!("SignedData: {e}"))?;
        if sd.encap_content_info.econtent_type != ID_LDS_SECURITY_OBJECT {
            return Err("eContentType is not ldsSecurityObject".into());
        }
        let content = sd.encap_content_info.econtent.as_ref().ok_or("SignedData without content")?;
        let octets: OctetString = content.decode_as().map_err(|e| format!("eContent: {e}"))?;
        let econtent = octets.as_bytes().to_vec();
        let lds: LdsSecurityObject = sig::decode("LDSSecurityObject", &econtent)?;
        let signer = match sd.signer_infos.0.as_slice() {
            [one] => one.clone(),
            [] => return Err("no SignerInfo".into()),
            _ => return Err("more than one SignerInfo".into()),
        };
        let certs: Vec<&Certificate> = sd
            .certificates
            .as_ref()
            .map(|s| {
                s.0.iter()
                    .filter_map(|c| match c {
                        CertificateChoices::Certificate(c) => Some(c),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let ds_certificate = certs
            .into_iter()
            .find(|c| identifies(&signer.sid, c))
            .cloned()
            .ok_or("the document signer certificate is not in EF.SOD")?;
        Ok(Sod { lds, econtent, signer, ds_certificate })
    }

    /// The hash algorithm of the data-group hashes.
    pub fn dg_digest(&self) -> Result<Digest, String> {
        Digest::from_oid(&self.lds.hash_algorithm.oid).ok_or_else(|| "unsupported data-group hash algorithm".into())
    }

    /// The hash the SOD holds for a data group.
    pub fn dg_hash(&self, number: u8) -> Option<&[u8]> {
        self.lds
            .data_group_hash_values
            .iter()
            .find(|h| h.data_group_number == number)
            .map(|h| h.data_group_hash_value.as_bytes())
    }

    /// Checks the signed attributes (content type, message digest of the content) and returns the
    /// bytes the signature covers.
    pub fn signed_bytes(&self) -> Result<Vec<u8>, String> {
        let digest = Digest::from_oid(&self.signer.digest_alg.oid).ok_or("unsupported signer digest algorithm")?;
        let Some(attrs) = &self.signer.signed_attrs else {
            return Ok(self.econtent.clone());
        };
        let single = |oid: ObjectIdentifier| -> Result<&Any, String> {
            let attr = attrs.iter().find(|a| a.oid == oid).ok_or_else(|| format!("signed attribute {oid} missing"))?;
            match attr.values.as_slice() {
                [v] => Ok(v),
                _ => Err(format!("signed attribute {oid} must have one value")),
            }
        };
        let ct: ObjectIdentifier =
            single(ID_CONTENT_TYPE)?.decode_as().map_err(|e| format!("content-type attribute: {e}"))?;
        if ct != ID_LDS_SECURITY_OBJECT {
            return Err("content-type attribute does not name the LDS security object".into());
        }
        let md: OctetString =
            single(ID_MESSAGE_DIGEST)?.decode_as().map_err(|e| format!("message-digest attribute: {e}"))?;
        if md.as_bytes() != digest.hash(&self.econtent).as_slice() {
            return Err("message-digest attribute does not match the content".into());
        }
        attrs.to_der().map_err(|e| e.to_string())
    }

    /// Verifies the document signer's signature.
    pub fn verify_signature(&self, signed: &[u8]) -> Result<(), String> {
        let digest = Digest::from_oid(&self.signer.digest_alg.oid);
        sig::verify(
            &self.signer.signature_algorithm,
            digest,
            &self.ds_certificate.tbs_certificate.subject_public_key_info,
            signed,
            self.signer.signature.as_bytes(),
        )
    }
}

fn identifies(sid: &SignerIdentifier, cert: &Certificate) -> bool {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            ias.issuer == cert.tbs_certificate.issuer && ias.serial_number == cert.tbs_certificate.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => cert
            .tbs_certificate
            .get::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
            .ok()
            .flatten()
            .is_some_and(|(_, k)| k.0 == ski.0),
    }
}
