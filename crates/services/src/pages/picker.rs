//! The commune picker of the forms: a province list, then a commune field with suggestions from
//! the registry's 2025 administrative units. Without script the field takes a commune's name (or
//! code) typed in full; `app.js` (`[data-commune-picker]`) fills the suggestions from
//! `/api/v1/admin-units/communes`, which matches names without diacritics.

use registry::admin_units::AdminUnits;

/// What the picker shows for a field's current value.
pub(crate) struct CommunePicker {
    /// (province code, name, selected).
    pub provinces: Vec<(String, String, bool)>,
    /// The field's text: `Xã A (12345)` for a known commune, else what was typed.
    pub shown: String,
    /// Suggestions: the communes of the chosen province, as the field shows them.
    pub options: Vec<String>,
}

/// How a commune appears in the field and its suggestions (the code in brackets is what the
/// server reads back, [`crate::forms`]).
pub(crate) fn label(name: &str, code: &str) -> String {
    format!("{name} ({code})")
}

impl CommunePicker {
    pub(crate) fn new(value: &str) -> CommunePicker {
        let units = AdminUnits::get();
        let chosen = crate::forms::resolve_commune(value).and_then(|c| units.commune(&c));
        let province = chosen.map(|c| c.province_code.clone()).unwrap_or_default();
        CommunePicker {
            provinces: units.provinces().iter().map(|p| (p.code.clone(), p.name.clone(), p.code == province)).collect(),
            shown: chosen.map(|c| label(&c.name, &c.code)).unwrap_or_else(|| value.to_string()),
            options: units.communes_of(&province).iter().map(|c| label(&c.name, &c.code)).collect(),
        }
    }
}
