//! The view of a procedure's form, shared by the citizen's page and the kiosk: the pre-filled
//! registry data (read-only, with its source), the fields with the values and errors to show, and
//! the files still required.

use std::collections::BTreeMap;

use web::Lang;

use crate::catalogue::{FieldKind, Procedure};
use crate::forms::FieldErrors;
use crate::prefill::PrefillItem;

/// One input.
pub(super) struct FieldView {
    pub name: String,
    pub label: String,
    /// `text`, `textarea`, `date`, `select`, `number`.
    pub input: &'static str,
    pub required: bool,
    pub value: String,
    pub error: Option<String>,
    /// (value, label, selected).
    pub options: Vec<(String, String, bool)>,
    pub hint: String,
    /// For a commune: the province and commune pickers.
    pub commune: Option<super::picker::CommunePicker>,
    /// Values to suggest (value, description): the applicant's unpaid fine decisions.
    pub suggestions: Vec<(String, String)>,
}

/// One pre-filled line.
pub(super) struct PrefillView {
    pub label: String,
    pub value: String,
}

/// One file slot.
pub(super) struct SlotView {
    pub name: String,
    pub label: String,
    pub required: bool,
    pub accept: String,
    pub max_kb: u64,
    pub error: Option<String>,
}

/// The whole form.
pub(super) struct FormView {
    pub prefill: Vec<PrefillView>,
    pub source: String,
    pub fields: Vec<FieldView>,
    pub slots: Vec<SlotView>,
    /// Documents the agency obtains itself.
    pub obtained: Vec<String>,
    pub fee: String,
    pub days: i64,
}

impl FormView {
    pub(super) fn new(
        p: &Procedure,
        lang: Lang,
        prefill: &[PrefillItem],
        values: &BTreeMap<String, String>,
        errors: &FieldErrors,
    ) -> FormView {
        let pick = |vi: &str, en: &str| lang.pick(vi, en).to_string();
        let fields = p
            .fields
            .iter()
            .map(|f| {
                let value = values.get(&f.name).cloned().unwrap_or_default();
                let options: Vec<(String, String, bool)> = match f.kind {
                    FieldKind::Ethnicity => kernel::vocab::ETHNIC_GROUPS
                        .iter()
                        .map(|(c, n)| (c.to_string(), n.to_string(), *c == value))
                        .collect(),
                    FieldKind::Religion => kernel::vocab::RELIGIONS
                        .iter()
                        .map(|(c, n)| (c.to_string(), n.to_string(), *c == value))
                        .collect(),
                    _ => f.options.iter().map(|o| (o[0].clone(), pick(&o[1], &o[2]), o[0] == value)).collect(),
                };
                FieldView {
                    name: f.name.clone(),
                    label: pick(&f.label_vi, &f.label_en),
                    input: match f.kind {
                        FieldKind::Textarea => "textarea",
                        FieldKind::Date => "date",
                        FieldKind::Choice | FieldKind::Ethnicity | FieldKind::Religion => "select",
                        FieldKind::Number => "number",
                        FieldKind::Commune => "commune",
                        _ => "text",
                    },
                    required: f.required,
                    options,
                    hint: match f.kind {
                        FieldKind::PersonalId => pick("12 chữ số", "12 digits"),
                        FieldKind::FineDecision => pick("Ví dụ: 1234/QĐ-XPHC", "e.g. 1234/QĐ-XPHC"),
                        _ => String::new(),
                    },
                    commune: (f.kind == FieldKind::Commune).then(|| super::picker::CommunePicker::new(&value)),
                    suggestions: Vec::new(),
                    error: errors.get(&f.name).map(|(vi, en)| pick(vi, en)),
                    value,
                }
            })
            .collect();
        FormView {
            prefill: prefill
                .iter()
                .map(|i| PrefillView { label: pick(&i.label_vi, &i.label_en), value: i.value.clone() })
                .collect(),
            source: pick(crate::prefill::SOURCE_VI, crate::prefill::SOURCE_EN),
            fields,
            slots: p
                .attachments
                .iter()
                .map(|a| SlotView {
                    name: a.name.clone(),
                    label: pick(&a.label_vi, &a.label_en),
                    required: a.required,
                    accept: a.types.join(","),
                    max_kb: a.max_kb,
                    error: errors.get(&a.name).map(|(vi, en)| pick(vi, en)),
                })
                .collect(),
            obtained: if lang == Lang::Vi { p.documents_vi.clone() } else { p.documents_en.clone() },
            fee: if p.fee_field.is_some() {
                pick("Theo số tiền ghi trên quyết định", "As stated in the decision")
            } else if p.fee_vnd == 0 {
                pick("Miễn phí", "Free")
            } else {
                super::money(p.fee_vnd)
            },
            days: p.processing_days,
        }
    }
}
