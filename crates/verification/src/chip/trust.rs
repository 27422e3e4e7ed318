//! The trust store of country signing CAs (CSCA): PEM/DER certificate files in a directory, and
//! ICAO CSCA master lists (`.ml`, CMS SignedData of `CscaMasterList`).

use std::path::Path;

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::{Decode, Encode};
use x509_cert::Certificate;

use super::lds::{CscaMasterList, ID_CSCA_MASTER_LIST};
use super::sig;

/// Trusted CSCA certificates. Empty means no trust anchor: passive authentication then reports
/// "chain not verified" instead of "authentic".
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    cscas: Vec<Certificate>,
}

impl TrustStore {
    pub fn new(cscas: Vec<Certificate>) -> Self {
        TrustStore { cscas }
    }

    pub fn is_empty(&self) -> bool {
        self.cscas.is_empty()
    }

    pub fn len(&self) -> usize {
        self.cscas.len()
    }

    /// Loads every `*.pem`, `*.crt`, `*.cer`, `*.der` and `*.ml` file of a directory. The master
    /// list's own signature is not checked: put only master lists obtained from a trusted channel
    /// (the ICAO PKD or the issuing state) in the directory.
    pub fn load_dir(dir: &Path) -> Result<TrustStore, String> {
        let mut cscas = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
            if !matches!(ext.as_str(), "pem" | "crt" | "cer" | "der" | "ml") {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let found = if ext == "ml" { master_list(&bytes) } else { certificates(&bytes) };
            cscas.extend(found.map_err(|e| format!("{}: {e}", path.display()))?);
        }
        Ok(TrustStore { cscas })
    }

    /// The CSCA that issued `cert` and whose signature on it verifies.
    pub fn issuer_of(&self, cert: &Certificate) -> Result<&Certificate, String> {
        let issuer = &cert.tbs_certificate.issuer;
        let candidates: Vec<&Certificate> =
            self.cscas.iter().filter(|c| &c.tbs_certificate.subject == issuer).collect();
        if candidates.is_empty() {
            return Err(format!("no trusted CSCA named {issuer}"));
        }
        let tbs = cert.tbs_certificate.to_der().map_err(|e| e.to_string())?;
        let signature = cert.signature.as_bytes().ok_or("certificate signature is not whole bytes")?;
        candidates
            .into_iter()
            .find(|csca| {
                sig::verify(
                    &cert.signature_algorithm,
                    None,
                    &csca.tbs_certificate.subject_public_key_info,
                    &tbs,
                    signature,
                )
                .is_ok()
            })
            .ok_or_else(|| format!("the signature of {issuer} on the document signer does not verify"))
    }
}

/// PEM (one or more certificates) or DER.
fn certificates(bytes: &[u8]) -> Result<Vec<Certificate>, String> {
    if bytes.starts_with(b"-----") {
        Certificate::load_pem_chain(bytes).map_err(|e| e.to_string())
    } else {
        Certificate::from_der(bytes).map(|c| vec![c]).map_err(|e| e.to_string())
    }
}

/// The certificates of a CSCA master list.
fn master_list(bytes: &[u8]) -> Result<Vec<Certificate>, String> {
    let ci: ContentInfo = sig::decode("master list", bytes)?;
    let sd: SignedData = ci.content.decode_as().map_err(|e| format!("master list SignedData: {e}"))?;
    if sd.encap_content_info.econtent_type != ID_CSCA_MASTER_LIST {
        return Err("not a CSCA master list".into());
    }
    let content = sd.encap_content_info.econtent.ok_or("master list without content")?;
    let octets: der::asn1::OctetString = content.decode_as().map_err(|e| e.to_string())?;
    let list: CscaMasterList = sig::decode("CscaMasterList", octets.as_bytes())?;
    Ok(list.cert_list.into_vec())
}
