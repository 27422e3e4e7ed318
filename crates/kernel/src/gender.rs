//! Gender as recorded in the population registry.

use serde::{Deserialize, Serialize};

/// The registry records male or female; the code is stored as `M` / `F`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Gender {
    #[serde(rename = "M")]
    Male,
    #[serde(rename = "F")]
    Female,
}

impl Gender {
    /// Storage code.
    pub fn code(self) -> &'static str {
        match self {
            Gender::Male => "M",
            Gender::Female => "F",
        }
    }

    /// Parses the storage code or the Vietnamese words printed on cards (`Nam`, `Nữ`).
    pub fn parse(s: &str) -> Option<Gender> {
        match crate::text::fold(s.trim()).as_str() {
            "m" | "nam" | "male" => Some(Gender::Male),
            "f" | "nu" | "female" => Some(Gender::Female),
            _ => None,
        }
    }

    /// The word printed on Vietnamese documents.
    pub fn label_vi(self) -> &'static str {
        match self {
            Gender::Male => "Nam",
            Gender::Female => "Nữ",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Gender::Male => "Male",
            Gender::Female => "Female",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_card_words() {
        assert_eq!(Gender::parse("Nữ"), Some(Gender::Female));
        assert_eq!(Gender::parse(" Nam "), Some(Gender::Male));
        assert_eq!(Gender::parse("X"), None);
    }
}
