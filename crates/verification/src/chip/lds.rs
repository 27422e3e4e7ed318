//! ICAO 9303-10 ASN.1 structures: the LDS security object inside EF.SOD, and the CSCA master list.

use der::asn1::{ObjectIdentifier, OctetString, PrintableString, SetOfVec};
use der::Sequence;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

/// `id-icao-mrtd-security-ldsSecurityObject` (2.23.136.1.1.1): eContentType of EF.SOD.
pub const ID_LDS_SECURITY_OBJECT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.136.1.1.1");
/// `id-icao-cscaMasterList` (2.23.136.1.1.2): eContentType of a CSCA master list.
pub const ID_CSCA_MASTER_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.136.1.1.2");

/// `LDSSecurityObject ::= SEQUENCE { version, hashAlgorithm, dataGroupHashValues, ldsVersionInfo OPTIONAL }`.
#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct LdsSecurityObject {
    pub version: u8,
    pub hash_algorithm: AlgorithmIdentifierOwned,
    pub data_group_hash_values: Vec<DataGroupHash>,
    #[asn1(optional = "true")]
    pub lds_version_info: Option<LdsVersionInfo>,
}

/// `DataGroupHash ::= SEQUENCE { dataGroupNumber, dataGroupHashValue }`.
#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct DataGroupHash {
    pub data_group_number: u8,
    pub data_group_hash_value: OctetString,
}

/// `LDSVersionInfo ::= SEQUENCE { ldsVersion, unicodeVersion }` (LDS 1.8).
#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct LdsVersionInfo {
    pub lds_version: PrintableString,
    pub unicode_version: PrintableString,
}

/// `CscaMasterList ::= SEQUENCE { version, certList SET OF Certificate }`.
#[derive(Debug, Clone, PartialEq, Eq, Sequence)]
pub struct CscaMasterList {
    pub version: u8,
    pub cert_list: SetOfVec<Certificate>,
}
