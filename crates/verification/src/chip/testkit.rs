//! Test chips: a country signing CA, document signers (ECDSA P-256 or RSA-2048) and EF.SOD over
//! data groups, for tests, benchmarks and the demo. Nothing here holds real personal data or keys.

#![allow(
    clippy::expect_used,
    reason = "test support: builds fixed test PKI and chips from constants; a fixture that cannot be built stops the test, benchmark or demo"
)]

use std::collections::BTreeMap;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, RsaKeyPair};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode, Tag, TagNumber};
use kernel::Gender;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use x509_cert::attr::Attribute;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

use super::dg1::{self, Mrz};
use super::dg13::{self, Dg13};
use super::lds::{DataGroupHash, LdsSecurityObject, ID_LDS_SECURITY_OBJECT};
use super::sig::{Digest, SHA256};
use super::ChipBundle;
use crate::cccd_qr::CardQr;

/// The document signer's key type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignerKind {
    EcdsaP256,
    Rsa2048,
    /// RSA-2048 with RSASSA-PSS signatures on the SOD.
    Rsa2048Pss,
}

/// A test country signing CA.
pub struct TestCsca {
    pub certificate: Certificate,
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A test document signer.
pub struct TestSigner {
    pub certificate: Certificate,
    pub pem: String,
    /// PKCS#8 DER private key.
    pub key_pkcs8: Vec<u8>,
    pub kind: SignerKind,
}

fn name(params: &mut CertificateParams, cn: &str) {
    params.distinguished_name.push(DnType::CountryName, "VN");
    params.distinguished_name.push(DnType::OrganizationName, "dancu test PKI");
    params.distinguished_name.push(DnType::CommonName, cn);
}

fn parse_cert(der: &[u8]) -> Certificate {
    Certificate::from_der(der).expect("rcgen produces valid certificates")
}

impl TestCsca {
    /// A new CSCA (ECDSA P-256) valid from `from_year` to `to_year`.
    pub fn new(cn: &str, from_year: i32, to_year: i32) -> TestCsca {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
        let mut params = CertificateParams::default();
        name(&mut params, cn);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = rcgen::date_time_ymd(from_year, 1, 1);
        params.not_after = rcgen::date_time_ymd(to_year, 1, 1);
        let cert = params.self_signed(&key).expect("self-signed CSCA");
        TestCsca { certificate: parse_cert(cert.der()), pem: cert.pem(), issuer: Issuer::new(params, key) }
    }

    /// A document signer certified by this CSCA, valid from `from_year` to `to_year`.
    pub fn document_signer(&self, kind: SignerKind, from_year: i32, to_year: i32) -> TestSigner {
        let key = match kind {
            SignerKind::EcdsaP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key"),
            SignerKind::Rsa2048 | SignerKind::Rsa2048Pss => {
                let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("RSA key");
                let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&rsa).expect("PKCS#8");
                KeyPair::try_from(der.as_ref()).expect("rcgen reads the RSA key")
            }
        };
        let mut params = CertificateParams::default();
        name(&mut params, "dancu test document signer");
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.not_before = rcgen::date_time_ymd(from_year, 1, 1);
        params.not_after = rcgen::date_time_ymd(to_year, 1, 1);
        let cert = params.signed_by(&key, &self.issuer).expect("DS certificate");
        TestSigner { certificate: parse_cert(cert.der()), pem: cert.pem(), key_pkcs8: key.serialize_der(), kind }
    }
}

/// The DER of an LDS security object holding SHA-256 hashes of the data groups.
pub fn lds_security_object(data_groups: &BTreeMap<u8, Vec<u8>>) -> Vec<u8> {
    let lds = LdsSecurityObject {
        version: 0,
        hash_algorithm: AlgorithmIdentifierOwned { oid: SHA256, parameters: None },
        data_group_hash_values: data_groups
            .iter()
            .map(|(&n, bytes)| DataGroupHash {
                data_group_number: n,
                data_group_hash_value: OctetString::new(Digest::Sha256.hash(bytes)).expect("hash fits"),
            })
            .collect(),
        lds_version_info: None,
    };
    lds.to_der().expect("LDS encodes")
}

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const MGF1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8");

/// RSASSA-PSS parameters for SHA-256, MGF1-SHA-256, salt 32.
fn pss_params() -> Any {
    let sha256 = AlgorithmIdentifierOwned { oid: SHA256, parameters: None };
    let mgf = AlgorithmIdentifierOwned { oid: MGF1, parameters: Some(Any::encode_from(&sha256).expect("encodes")) };
    let explicit = |n: u8, v: Vec<u8>| {
        Any::new(Tag::ContextSpecific { constructed: true, number: TagNumber::new(n) }, v)
            .expect("fits")
            .to_der()
            .expect("encodes")
    };
    let mut body = explicit(0, sha256.to_der().expect("encodes"));
    body.extend(explicit(1, mgf.to_der().expect("encodes")));
    body.extend(explicit(2, 32u32.to_der().expect("encodes")));
    Any::new(Tag::Sequence, body).expect("fits")
}

impl TestSigner {
    /// Signs an EF.SOD (with its `77` wrapper) over the data groups.
    pub fn sign_sod(&self, data_groups: &BTreeMap<u8, Vec<u8>>) -> Vec<u8> {
        let lds = lds_security_object(data_groups);
        let attrs: SetOfVec<Attribute> = SetOfVec::try_from(vec![
            Attribute {
                oid: ID_CONTENT_TYPE,
                values: SetOfVec::try_from(vec![Any::encode_from(&ID_LDS_SECURITY_OBJECT).expect("oid")]).expect("set"),
            },
            Attribute {
                oid: ID_MESSAGE_DIGEST,
                values: SetOfVec::try_from(vec![Any::encode_from(
                    &OctetString::new(Digest::Sha256.hash(&lds)).expect("hash"),
                )
                .expect("octets")])
                .expect("set"),
            },
        ])
        .expect("attributes");
        let to_sign = attrs.to_der().expect("attributes encode");
        let (signature, signature_algorithm) = self.sign(&to_sign);
        let tbs = &self.certificate.tbs_certificate;
        let sha256 = AlgorithmIdentifierOwned { oid: SHA256, parameters: None };
        let signer = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: tbs.issuer.clone(),
                serial_number: tbs.serial_number.clone(),
            }),
            digest_alg: sha256.clone(),
            signed_attrs: Some(attrs),
            signature_algorithm,
            signature: OctetString::new(signature).expect("signature"),
            unsigned_attrs: None,
        };
        let sd = SignedData {
            version: CmsVersion::V3,
            digest_algorithms: SetOfVec::try_from(vec![sha256]).expect("set"),
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: ID_LDS_SECURITY_OBJECT,
                econtent: Some(Any::encode_from(&OctetString::new(lds).expect("lds")).expect("octets")),
            },
            certificates: Some(CertificateSet(
                SetOfVec::try_from(vec![CertificateChoices::Certificate(self.certificate.clone())]).expect("set"),
            )),
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer]).expect("set")),
        };
        let ci = ContentInfo { content_type: ID_SIGNED_DATA, content: Any::encode_from(&sd).expect("signed data") };
        wrap_ef_sod(&ci.to_der().expect("content info"))
    }

    fn sign(&self, message: &[u8]) -> (Vec<u8>, AlgorithmIdentifierOwned) {
        let rng = SystemRandom::new();
        match self.kind {
            SignerKind::EcdsaP256 => {
                let key = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &self.key_pkcs8)
                    .expect("ECDSA key");
                let sig = key.sign(&rng, message).expect("sign").as_ref().to_vec();
                (sig, AlgorithmIdentifierOwned { oid: ECDSA_WITH_SHA256, parameters: None })
            }
            SignerKind::Rsa2048 | SignerKind::Rsa2048Pss => {
                let key = RsaKeyPair::from_pkcs8(&self.key_pkcs8).expect("RSA key");
                let mut sig = vec![0u8; key.public_modulus_len()];
                let (padding, alg): (&'static dyn signature::RsaEncoding, _) = if self.kind == SignerKind::Rsa2048Pss {
                    (
                        &signature::RSA_PSS_SHA256,
                        AlgorithmIdentifierOwned { oid: RSASSA_PSS, parameters: Some(pss_params()) },
                    )
                } else {
                    (
                        &signature::RSA_PKCS1_SHA256,
                        AlgorithmIdentifierOwned { oid: SHA256_WITH_RSA, parameters: Some(Any::null()) },
                    )
                };
                key.sign(padding, &rng, message, &mut sig).expect("sign");
                (sig, alg)
            }
        }
    }
}

/// Wraps a ContentInfo as the EF.SOD file (`[APPLICATION 23]`).
pub fn wrap_ef_sod(content_info: &[u8]) -> Vec<u8> {
    Any::new(Tag::Application { constructed: true, number: TagNumber::new(23) }, content_info)
        .expect("fits")
        .to_der()
        .expect("encodes")
}

impl TestSigner {
    /// What a reader app reads from the test card of `card`'s holder: DG1 (TD1 MRZ with the
    /// personal id in optional data), DG13 (name, birth date, sex, issue date, old id) and the
    /// EF.SOD this signer makes over them.
    pub fn card_chip(&self, card: &CardQr) -> ChipBundle {
        let id = card.personal_id.as_str();
        let mrz = Mrz {
            document_code: "ID".into(),
            issuing_state: "VNM".into(),
            document_number: id[3..].into(),
            optional_data: id.into(),
            birth_date: card.birth_date,
            sex: if card.gender == Gender::Male { "M" } else { "F" }.into(),
            expiry_date: None,
            nationality: "VNM".into(),
            name: kernel::text::fold(&card.full_name).to_uppercase(),
        };
        let vn = |d: chrono::NaiveDate| d.format("%d/%m/%Y").to_string();
        let dg13 = Dg13 {
            personal_id: Some(id.into()),
            full_name: Some(card.full_name.clone()),
            birth_date: Some(vn(card.birth_date)),
            sex: Some(card.gender.label_vi().into()),
            nationality: Some("Việt Nam".into()),
            residence: Some(card.address.clone()).filter(|a| !a.is_empty()),
            issue_date: Some(vn(card.issue_date)),
            old_id: card.old_id.clone(),
            ..Dg13::default()
        };
        let data_groups: BTreeMap<u8, Vec<u8>> =
            [(1, dg1::encode(&mrz)), (13, dg13::encode(&dg13).expect("DG13 encodes"))].into();
        ChipBundle { sod: self.sign_sod(&data_groups), data_groups }
    }
}
