//! What an organization verifies identities for. Each purpose fixes which access-log purpose the
//! citizen sees, what the result may reveal, and which extra check applies.

use serde::Serialize;

/// An extra check a purpose makes beyond the registry match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListCheck {
    None,
    /// The person must be on the organization's exam registration list (`list_code` = exam).
    ExamRegistration,
    /// The person must hold a ticket of the organization (`list_code` = trip).
    Ticket,
}

impl ListCheck {
    /// The `verifier_lists.kind` value.
    pub fn kind(self) -> Option<&'static str> {
        match self {
            ListCheck::None => None,
            ListCheck::ExamRegistration => Some("exam"),
            ListCheck::Ticket => Some("ticket"),
        }
    }
}

/// What the result reveals about the person besides match/mismatch and statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disclosure {
    /// Only whether the person is 18 or older: the birth date stays hidden.
    AgeOnly,
    /// Registry name, birth date and gender (to record the guest or party).
    Identity,
    /// Identity plus current address, to fill in a form (hospital reception).
    AutoFill,
}

/// A verification purpose.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct VerifyPurpose {
    pub code: &'static str,
    pub vi: &'static str,
    pub en: &'static str,
    /// Code of the access-log purpose the citizen sees (`audit::PURPOSES`).
    pub audit_purpose: &'static str,
    /// Wording for the citizen's access log: "… đã xác minh danh tính của bạn cho mục đích …".
    pub log_vi: &'static str,
    pub disclosure: Disclosure,
    pub list: ListCheck,
    /// Whether the chip's face image (DG2) may be kept.
    pub keeps_face: bool,
}

/// Every verification purpose.
pub const PURPOSES: &[VerifyPurpose] = &[
    VerifyPurpose {
        code: "hotel_guest",
        vi: "Khách lưu trú",
        en: "Hotel guest",
        audit_purpose: "lodging",
        log_vi: "lưu trú",
        disclosure: Disclosure::Identity,
        list: ListCheck::None,
        keeps_face: false,
    },
    VerifyPurpose {
        code: "pawn_customer",
        vi: "Khách hàng cầm đồ",
        en: "Pawn-shop customer",
        audit_purpose: "identity_verification",
        log_vi: "giao dịch cầm đồ",
        disclosure: Disclosure::Identity,
        list: ListCheck::None,
        keeps_face: false,
    },
    VerifyPurpose {
        code: "notary_party",
        vi: "Người yêu cầu công chứng",
        en: "Notary party",
        audit_purpose: "identity_verification",
        log_vi: "công chứng",
        disclosure: Disclosure::Identity,
        list: ListCheck::None,
        keeps_face: true,
    },
    VerifyPurpose {
        code: "exam_candidate",
        vi: "Thí sinh dự thi, sát hạch",
        en: "Exam candidate",
        audit_purpose: "identity_verification",
        log_vi: "dự thi, sát hạch",
        disclosure: Disclosure::AgeOnly,
        list: ListCheck::ExamRegistration,
        keeps_face: false,
    },
    VerifyPurpose {
        code: "coach_passenger",
        vi: "Hành khách xe khách",
        en: "Coach passenger",
        audit_purpose: "identity_verification",
        log_vi: "đi xe khách",
        disclosure: Disclosure::AgeOnly,
        list: ListCheck::Ticket,
        keeps_face: false,
    },
    VerifyPurpose {
        code: "hospital_reception",
        vi: "Tiếp đón người bệnh",
        en: "Hospital reception",
        audit_purpose: "healthcare",
        log_vi: "khám chữa bệnh",
        disclosure: Disclosure::AutoFill,
        list: ListCheck::None,
        keeps_face: false,
    },
    VerifyPurpose {
        code: "age_check",
        vi: "Kiểm tra đủ 18 tuổi",
        en: "Age check (18+)",
        audit_purpose: "identity_verification",
        log_vi: "kiểm tra độ tuổi",
        disclosure: Disclosure::AgeOnly,
        list: ListCheck::None,
        keeps_face: false,
    },
];

impl VerifyPurpose {
    pub fn find(code: &str) -> Option<&'static VerifyPurpose> {
        PURPOSES.iter().find(|p| p.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_purpose_maps_to_an_access_log_purpose() {
        for p in PURPOSES {
            assert!(audit::Purpose::find(p.audit_purpose).is_some(), "{}", p.code);
            assert_eq!(VerifyPurpose::find(p.code).map(|f| f.code), Some(p.code));
        }
        assert!(VerifyPurpose::find("marketing").is_none());
    }
}
