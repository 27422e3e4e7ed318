//! Rules that look at one person's record alone.

use chrono::NaiveDate;
use kernel::{Gender, PartialDate, PersonalId};

use kernel::personal_id::IdWarning;

/// The fields the per-record rules read.
#[derive(Debug, Clone, Default)]
pub(super) struct PersonFacts {
    pub personal_id: String,
    pub full_name: String,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    pub birth_place: Option<String>,
    pub hometown: Option<String>,
    pub ethnicity: Option<String>,
    pub religion: Option<String>,
    pub status: String,
    pub death_date: Option<String>,
    pub current_commune: Option<String>,
}

/// Ethnic groups whose names are written in their own Latin orthographies (Central Highlands,
/// Khmer, Cham): their names are not Vietnamese syllables, so the spelling rule skips them.
const NON_QUOC_NGU_SCRIPTS: [&str; 21] = [
    "05", "10", "12", "13", "14", "16", "17", "19", "20", "21", "22", "23", "26", "27", "28", "30", "31", "32", "36",
    "52", "54",
];

fn blank(v: &Option<String>) -> bool {
    v.as_deref().map(|s| s.trim().is_empty()).unwrap_or(true)
}

/// Findings (rule code, detail) for one person on `today`.
pub(super) fn check(p: &PersonFacts, today: NaiveDate) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let birth = p.birth_date.as_deref().and_then(|b| PartialDate::parse(b).ok());
    let gender = p.gender.as_deref().and_then(Gender::parse);
    if let Ok(id) = PersonalId::parse(&p.personal_id) {
        for w in id.soft_checks(gender, birth.map(|b| b.year_value())) {
            let (rule, detail) = match w {
                IdWarning::UnknownBirthPlaceCode => ("id_birth_place_code", format!("code {}", id.birth_place_code())),
                IdWarning::GenderDigitMismatch => ("id_gender_digit", format!("digit {}", id.century_gender_digit())),
                IdWarning::CenturyMismatch => ("id_century_digit", format!("digit {}", id.century_gender_digit())),
                IdWarning::BirthYearMismatch => ("id_birth_year", format!("digits {:02}", id.two_digit_year())),
            };
            out.push((rule, detail));
        }
    }
    if !NON_QUOC_NGU_SCRIPTS.contains(&p.ethnicity.as_deref().unwrap_or("")) {
        let bad_words = kernel::syllable::malformed_words(&p.full_name);
        if !bad_words.is_empty() {
            out.push(("name_malformed", bad_words.join(", ")));
        }
    }
    if let Some(b) = birth {
        if b.earliest() > today {
            out.push(("birth_date_future", b.to_storage()));
        }
        if let Some(d) = p.death_date.as_deref().and_then(|d| PartialDate::parse(d).ok()) {
            if d.latest() < b.earliest() {
                out.push(("death_before_birth", format!("{} < {}", d.to_storage(), b.to_storage())));
            }
        }
        if p.status == "living" && b.age_on(today) > 120 {
            out.push(("implausible_age", b.to_storage()));
        }
    }
    let missing = [
        ("missing_gender", blank(&p.gender)),
        ("missing_birth_date", birth.is_none()),
        ("missing_birth_place", blank(&p.birth_place)),
        ("missing_hometown", blank(&p.hometown)),
        ("missing_ethnicity", blank(&p.ethnicity)),
        ("missing_religion", blank(&p.religion)),
        ("missing_residence", p.status == "living" && blank(&p.current_commune)),
    ];
    for (rule, is_missing) in missing {
        if is_missing {
            out.push((rule, String::new()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 7, 1).unwrap()
    }

    fn good() -> PersonFacts {
        PersonFacts {
            personal_id: PersonalId::compose("008", Gender::Female, 1990, 1234).to_string(),
            full_name: "Nguyễn Thị Hoa".into(),
            gender: Some("F".into()),
            birth_date: Some("1990-03-07".into()),
            birth_place: Some("Xã Mỹ Lâm, Tỉnh Tuyên Quang".into()),
            hometown: Some("Xã Mỹ Lâm, Tỉnh Tuyên Quang".into()),
            ethnicity: Some("01".into()),
            religion: Some("00".into()),
            status: "living".into(),
            death_date: None,
            current_commune: Some("00691".into()),
        }
    }

    fn codes(p: &PersonFacts) -> Vec<&'static str> {
        check(p, today()).into_iter().map(|(r, _)| r).collect()
    }

    #[test]
    fn a_good_record_passes() {
        assert!(codes(&good()).is_empty(), "{:?}", check(&good(), today()));
    }

    #[test]
    fn each_defect_is_reported() {
        let mut p = good();
        p.gender = Some("M".into());
        assert_eq!(codes(&p), vec!["id_gender_digit"]);
        let mut p = good();
        p.birth_date = Some("1991-03-07".into());
        assert_eq!(codes(&p), vec!["id_birth_year"]);
        let mut p = good();
        p.full_name = "Nguyen Thị Hoa".into();
        assert_eq!(check(&p, today()), vec![("name_malformed", "Nguyen".to_string())]);
        p.ethnicity = Some("10".into());
        p.full_name = "Ksor H'Hoa".into();
        assert!(codes(&p).is_empty(), "Gia-rai names keep their own spelling");
        let mut p = good();
        p.hometown = Some("  ".into());
        p.ethnicity = None;
        assert_eq!(codes(&p), vec!["missing_hometown", "missing_ethnicity"]);
        let mut p = good();
        p.status = "deceased".into();
        p.death_date = Some("1989".into());
        assert_eq!(codes(&p), vec!["death_before_birth"]);
        let mut p = good();
        p.current_commune = None;
        assert_eq!(codes(&p), vec!["missing_residence"]);
    }

    #[test]
    fn old_living_people_are_flagged() {
        let mut p = good();
        p.personal_id = PersonalId::compose("008", Gender::Female, 1899, 1).to_string();
        p.birth_date = Some("1899".into());
        assert_eq!(codes(&p), vec!["implausible_age"]);
    }
}
