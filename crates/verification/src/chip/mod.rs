//! Chip data (ICAO 9303): what a reader app read from the card, and passive authentication —
//! data-group hashes against EF.SOD, the document signer's signature, and the chain from the
//! document signer to a trusted country signing CA.

pub mod dg1;
pub mod dg13;
pub mod lds;
pub mod sig;
pub mod sod;
pub mod testkit;
pub mod trust;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use x509_cert::Certificate;

pub use trust::TrustStore;

/// Files read from a chip: EF.SOD and data groups by number (1 = MRZ, 2 = face, 13 = Vietnamese
/// data, 14/15 = chip and active authentication keys).
#[derive(Debug, Clone, Default)]
pub struct ChipBundle {
    pub sod: Vec<u8>,
    pub data_groups: BTreeMap<u8, Vec<u8>>,
}

/// Outcome of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Passed,
    Failed,
    /// Not performed (no trust anchor configured, or an earlier step failed).
    Skipped,
}

/// One step of passive authentication.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    /// `parse_sod`, `data_group_hashes`, `signed_attributes`, `document_signer_signature`,
    /// `certificate_chain`, `validity_periods`.
    pub step: String,
    pub status: StepStatus,
    pub detail: String,
}

/// Hash check of one data group.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataGroupCheck {
    pub number: u8,
    /// `match`, `mismatch`, `not_in_sod`.
    pub status: String,
}

/// The full report of passive authentication.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PassiveAuthReport {
    pub steps: Vec<Step>,
    pub data_groups: Vec<DataGroupCheck>,
    /// Every step passed, including the chain to a trusted CSCA.
    pub authentic: bool,
    /// Hashes and signature are fine but no trust anchor is configured.
    pub chain_not_verified: bool,
    pub document_signer: Option<String>,
    pub csca: Option<String>,
}

impl PassiveAuthReport {
    fn push(&mut self, step: &str, status: StepStatus, detail: impl Into<String>) {
        self.steps.push(Step { step: step.into(), status, detail: detail.into() });
    }

    fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.status == StepStatus::Passed)
    }
}

/// Runs passive authentication at `now`. Never panics on malformed input: every problem becomes a
/// failed step.
pub fn passive_auth(bundle: &ChipBundle, trust: &TrustStore, now: DateTime<Utc>) -> PassiveAuthReport {
    let mut r = PassiveAuthReport {
        steps: Vec::new(),
        data_groups: Vec::new(),
        authentic: false,
        chain_not_verified: false,
        document_signer: None,
        csca: None,
    };
    let sod = match sod::Sod::parse(&bundle.sod) {
        Ok(s) => s,
        Err(e) => {
            r.push("parse_sod", StepStatus::Failed, e);
            return r;
        }
    };
    r.push("parse_sod", StepStatus::Passed, format!("{} data-group hashes", sod.lds.data_group_hash_values.len()));
    r.document_signer = Some(sod.ds_certificate.tbs_certificate.subject.to_string());
    check_hashes(&sod, bundle, &mut r);
    let signed = match sod.signed_bytes() {
        Ok(b) => {
            r.push("signed_attributes", StepStatus::Passed, "content type and message digest match");
            Some(b)
        }
        Err(e) => {
            r.push("signed_attributes", StepStatus::Failed, e);
            None
        }
    };
    match signed.map(|b| sod.verify_signature(&b)) {
        Some(Ok(())) => r.push("document_signer_signature", StepStatus::Passed, "signature verifies"),
        Some(Err(e)) => r.push("document_signer_signature", StepStatus::Failed, e),
        None => r.push("document_signer_signature", StepStatus::Skipped, "signed attributes failed"),
    }
    let csca = if trust.is_empty() {
        r.push("certificate_chain", StepStatus::Skipped, "chain not verified: no trust anchor configured");
        None
    } else {
        match trust.issuer_of(&sod.ds_certificate) {
            Ok(c) => {
                r.push("certificate_chain", StepStatus::Passed, "issued by a trusted CSCA");
                r.csca = Some(c.tbs_certificate.subject.to_string());
                Some(c)
            }
            Err(e) => {
                r.push("certificate_chain", StepStatus::Failed, e);
                None
            }
        }
    };
    check_validity(&sod.ds_certificate, csca, now, &mut r);
    let chain_skipped = r.steps.iter().any(|s| s.step == "certificate_chain" && s.status == StepStatus::Skipped);
    let others_passed =
        r.steps.iter().filter(|s| s.step != "certificate_chain").all(|s| s.status == StepStatus::Passed);
    r.chain_not_verified = chain_skipped && others_passed;
    r.authentic = r.passed();
    r
}

fn check_hashes(sod: &sod::Sod, bundle: &ChipBundle, r: &mut PassiveAuthReport) {
    let digest = match sod.dg_digest() {
        Ok(d) => d,
        Err(e) => {
            r.push("data_group_hashes", StepStatus::Failed, e);
            return;
        }
    };
    if !bundle.data_groups.contains_key(&1) {
        r.push("data_group_hashes", StepStatus::Failed, "DG1 (MRZ) is required");
        return;
    }
    let mut bad = Vec::new();
    for (&number, bytes) in &bundle.data_groups {
        let status = match sod.dg_hash(number) {
            None => "not_in_sod",
            Some(h) if h == digest.hash(bytes).as_slice() => "match",
            Some(_) => "mismatch",
        };
        if status != "match" {
            bad.push(format!("DG{number} {status}"));
        }
        r.data_groups.push(DataGroupCheck { number, status: status.into() });
    }
    if bad.is_empty() {
        r.push("data_group_hashes", StepStatus::Passed, format!("{} data groups match", bundle.data_groups.len()));
    } else {
        r.push("data_group_hashes", StepStatus::Failed, bad.join(", "));
    }
}

fn check_validity(ds: &Certificate, csca: Option<&Certificate>, now: DateTime<Utc>, r: &mut PassiveAuthReport) {
    let within = |c: &Certificate| {
        let v = &c.tbs_certificate.validity;
        let from = v.not_before.to_unix_duration().as_secs() as i64;
        let to = v.not_after.to_unix_duration().as_secs() as i64;
        (from..=to).contains(&now.timestamp())
    };
    let mut problems = Vec::new();
    if !within(ds) {
        problems.push("document signer certificate is outside its validity period");
    }
    if csca.is_some_and(|c| !within(c)) {
        problems.push("CSCA certificate is outside its validity period");
    }
    if problems.is_empty() {
        r.push("validity_periods", StepStatus::Passed, "certificates valid now");
    } else {
        r.push("validity_periods", StepStatus::Failed, problems.join("; "));
    }
}

#[cfg(test)]
mod tests;
