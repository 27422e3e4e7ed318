//! Display helpers shared by the registry pages.

use web::{Jurisdiction, Lang};

use crate::admin_units::AdminUnits;

/// (label, badge class) of a person status.
pub(super) fn person_status(lang: Lang, code: &str) -> (String, &'static str) {
    let (vi, en) = kernel::vocab::person_status_label(code);
    let class = match code {
        "living" => "ok",
        "deceased" => "bad",
        _ => "warn",
    };
    (lang.pick(vi, en).to_string(), class)
}

/// (label, badge class) of a card status.
pub(super) fn card_status(lang: Lang, code: &str) -> (String, &'static str) {
    let (vi, en) = kernel::vocab::card_status_label(code);
    (lang.pick(vi, en).to_string(), if code == "valid" { "ok" } else { "bad" })
}

pub(super) fn gender(lang: Lang, code: Option<&str>) -> String {
    match code.and_then(kernel::Gender::parse) {
        Some(g) => lang.pick(g.label_vi(), g.label_en()).to_string(),
        None => "—".to_string(),
    }
}

/// Communes an officer may pick: their own, or every commune of their province.
pub(super) fn communes_for(j: &Jurisdiction) -> Vec<(String, String)> {
    let units = AdminUnits::get();
    match j {
        Jurisdiction::Commune(c) => {
            units.commune(c).map(|c| vec![(c.code.clone(), c.name.clone())]).unwrap_or_default()
        }
        Jurisdiction::Province(p) => {
            units.communes_of(p).into_iter().map(|c| (c.code.clone(), c.name.clone())).collect()
        }
        Jurisdiction::Own(_) => Vec::new(),
    }
}

/// A `YYYY-MM-DD` storage date as `dd/mm/yyyy` ("—" when absent).
pub(super) fn date_vn(d: Option<&str>) -> String {
    d.and_then(|d| kernel::PartialDate::parse(d).ok()).map(|d| d.to_vn()).unwrap_or_else(|| "—".into())
}
