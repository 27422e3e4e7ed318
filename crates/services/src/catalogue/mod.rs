//! Procedures defined as data: each public service is a declarative definition (form fields, data
//! taken from the registry, attachments still required, fee, statutory processing time, minimum
//! e-ID level, who handles it, what effect approval has on the registry, the result document).
//! The initial catalogue (the 25 essential services of Decision 06/QĐ-TTg and two related
//! residence procedures) is embedded; administrators edit it as new versions ([`store`]).

pub mod store;

use kernel::AppError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The embedded catalogue.
const EMBEDDED: &str = include_str!("../../data/catalogue.json");

/// Kinds of form field, each with its own validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Textarea,
    /// `YYYY-MM-DD`.
    Date,
    /// One of `options`.
    Choice,
    /// A 12-digit personal id.
    PersonalId,
    /// A 2025 commune code.
    Commune,
    /// A whole number between `min` and `max`.
    Number,
    /// An ethnic group code (`kernel::vocab::ETHNIC_GROUPS`).
    Ethnicity,
    /// A religion code (`kernel::vocab::RELIGIONS`, `00` = none).
    Religion,
    /// The number of a traffic-fine decision of the applicant: the fee is the decision's amount
    /// ([`crate::fines`]), never a number the applicant types.
    FineDecision,
}

/// Which side of today a date must fall on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// Today or earlier (a birth, a death).
    Past,
    /// Today or later (the end of a stay).
    Future,
}

/// One field the applicant fills in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Field {
    pub name: String,
    pub label_vi: String,
    pub label_en: String,
    pub kind: FieldKind,
    pub required: bool,
    /// `[value, Vietnamese, English]` for choices.
    #[serde(default)]
    pub options: Vec<[String; 3]>,
    /// Characters for text, upper bound for numbers.
    #[serde(default)]
    pub max: Option<i64>,
    #[serde(default)]
    pub min: Option<i64>,
    /// For dates: today or earlier, or today or later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<When>,
}

/// A file the procedure still needs (size and type checked on upload).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AttachmentSlot {
    pub name: String,
    pub label_vi: String,
    pub label_en: String,
    pub required: bool,
    pub types: Vec<String>,
    pub max_kb: u64,
}

/// What approving an application changes in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// A generic application: officer workflow and a result document only.
    None,
    Birth,
    BirthResidenceInsurance,
    TemporaryResidence,
    TemporaryExtension,
    PermanentResidence,
    PermanentRemoval,
    Absence,
    Death,
    Marriage,
    OldIdConfirmation,
}

/// A public-service procedure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Procedure {
    pub code: String,
    pub version: i64,
    pub name_vi: String,
    pub name_en: String,
    /// One of the 25 essential services of Decision 06/QĐ-TTg.
    pub essential: bool,
    /// `commune` or `province`: which level's agency receives it.
    pub agency_level: String,
    pub agency_vi: String,
    pub agency_en: String,
    /// Role code of the officers who process it.
    pub handler_role: String,
    /// Fixed fee in đồng (0 = free).
    pub fee_vnd: i64,
    /// When set, the fee is the value of this number field (e.g. a fine).
    #[serde(default)]
    pub fee_field: Option<String>,
    /// Statutory processing time in working days.
    pub processing_days: i64,
    /// Minimum e-ID level to apply online.
    pub min_level: u8,
    /// Registry data filled in for the applicant (shown read-only with its source).
    pub prefill: Vec<String>,
    pub fields: Vec<Field>,
    pub attachments: Vec<AttachmentSlot>,
    /// Documents the agency obtains itself (shown so the citizen knows not to bring them).
    pub documents_vi: Vec<String>,
    pub documents_en: Vec<String>,
    pub effect: Effect,
    pub result_vi: String,
    pub result_en: String,
    pub legal_basis: String,
}

impl Procedure {
    /// The fee of an application with these answers: the fixed fee, the number field named by
    /// `fee_field`, or, when that field is a fine decision, the decision's amount that submission
    /// recorded under [`crate::fines::AMOUNT_KEY`].
    pub fn fee_for(&self, answers: &serde_json::Map<String, serde_json::Value>) -> i64 {
        let Some(f) = &self.fee_field else { return self.fee_vnd };
        let key = match self.fields.iter().find(|x| &x.name == f).map(|x| x.kind) {
            Some(FieldKind::FineDecision) => crate::fines::AMOUNT_KEY,
            _ => f.as_str(),
        };
        answers.get(key).and_then(|v| v.as_str()).and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    /// True when the applicant's household is part of the pre-filled data.
    pub fn needs_household(&self) -> bool {
        self.prefill.iter().any(|p| p == "household")
    }

    /// Checks the definition itself (used on import and on every administrator edit).
    pub fn check(&self) -> Result<(), String> {
        let code_ok = !self.code.is_empty()
            && self.code.len() <= 60
            && self.code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !code_ok {
            return Err(format!("{}: code must be 1–60 of a–z, 0–9, _", self.code));
        }
        if self.name_vi.trim().is_empty() || self.name_en.trim().is_empty() {
            return Err(format!("{}: names are required", self.code));
        }
        if !["commune", "province"].contains(&self.agency_level.as_str()) {
            return Err(format!("{}: agency_level must be commune or province", self.code));
        }
        if kernel::Role::parse(&self.handler_role).is_none() {
            return Err(format!("{}: unknown handler_role {}", self.code, self.handler_role));
        }
        if self.fee_vnd < 0 || !(0..=60).contains(&self.processing_days) || !(1..=2).contains(&self.min_level) {
            return Err(format!("{}: fee ≥ 0, processing_days 0–60, min_level 1–2", self.code));
        }
        let mut names: Vec<&str> = self.fields.iter().map(|f| f.name.as_str()).collect();
        names.extend(self.attachments.iter().map(|a| a.name.as_str()));
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != names.len() {
            return Err(format!("{}: field and attachment names must be unique", self.code));
        }
        for f in &self.fields {
            if f.kind == FieldKind::Choice && f.options.is_empty() {
                return Err(format!("{}: choice field {} has no options", self.code, f.name));
            }
        }
        if let Some(ff) = &self.fee_field {
            let payable = |k: FieldKind| matches!(k, FieldKind::Number | FieldKind::FineDecision);
            if !self.fields.iter().any(|f| &f.name == ff && payable(f.kind)) {
                return Err(format!("{}: fee_field {ff} is not a number or fine-decision field", self.code));
            }
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct CatalogueFile {
    procedures: Vec<Procedure>,
}

/// Parses the embedded catalogue (the tests parse it, so an error is a build defect).
pub fn embedded() -> Result<Vec<Procedure>, AppError> {
    let file: CatalogueFile =
        serde_json::from_str(EMBEDDED).map_err(|e| AppError::internal_from("embedded catalogue", e))?;
    Ok(file.procedures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_catalogue_holds_the_25_essential_services_and_is_valid() {
        let all = embedded().unwrap();
        assert_eq!(all.iter().filter(|p| p.essential).count(), 25);
        for p in &all {
            p.check().unwrap();
        }
        let birth = all.iter().find(|p| p.code == "birth_registration").unwrap();
        assert_eq!(birth.effect, Effect::Birth);
        assert!(birth.attachments.is_empty(), "birth registration is paperless");
        assert_eq!(birth.fee_vnd, 0);
        let temp = all.iter().find(|p| p.code == "temporary_residence").unwrap();
        assert!(temp.fee_vnd > 0);
    }

    #[test]
    fn a_fine_takes_its_fee_from_the_form_and_bad_definitions_are_refused() {
        let all = embedded().unwrap();
        let fine = all.iter().find(|p| p.code == "traffic_fine_payment").unwrap();
        let mut answers = serde_json::Map::new();
        answers.insert("decision_no".into(), "123/QĐ-XPHC".into());
        answers.insert("amount".into(), "1000".into());
        assert_eq!(fine.fee_for(&answers), 0, "a typed amount is not the fee");
        answers.insert(crate::fines::AMOUNT_KEY.into(), "800000".into());
        assert_eq!(fine.fee_for(&answers), 800_000, "the decision's amount is");
        assert!(!fine.fields.iter().any(|f| f.kind == FieldKind::Number), "nothing to type the amount into");
        let mut bad = fine.clone();
        bad.handler_role = "mayor".into();
        assert!(bad.check().unwrap_err().contains("handler_role"));
        let mut bad = fine.clone();
        bad.fields.push(bad.fields[0].clone());
        assert!(bad.check().unwrap_err().contains("unique"));
    }
}
