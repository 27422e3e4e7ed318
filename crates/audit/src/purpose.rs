//! Purposes for which personal data may be accessed. Every access-log entry names one.

use serde::Serialize;

/// A purpose code with its Vietnamese and English wording, as shown to the citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Purpose {
    pub code: &'static str,
    pub vi: &'static str,
    pub en: &'static str,
    /// An officer opening a record for this purpose names the case it serves: the case file
    /// number of an investigation, the receipt code of the public-service application. The
    /// reference is written to the access log beside the purpose, so the read can be checked
    /// against the case afterwards.
    pub needs_case_ref: bool,
}

/// The purposes the platform knows. Clients send the code; citizens read the words.
pub const PURPOSES: &[Purpose] = &[
    Purpose {
        code: "administration", vi: "Quản lý dân cư", en: "Population administration", needs_case_ref: false
    },
    Purpose {
        code: "investigation",
        vi: "Điều tra, xác minh",
        en: "Investigation and verification",
        needs_case_ref: true,
    },
    Purpose {
        code: "public_service",
        vi: "Giải quyết thủ tục hành chính",
        en: "Handling a public service application",
        needs_case_ref: true,
    },
    Purpose { code: "data_cleaning", vi: "Làm sạch dữ liệu", en: "Data cleaning", needs_case_ref: false },
    Purpose { code: "lodging", vi: "Thông báo lưu trú", en: "Lodging notification", needs_case_ref: false },
    Purpose {
        code: "identity_verification",
        vi: "Xác thực danh tính",
        en: "Identity verification",
        needs_case_ref: false,
    },
    Purpose { code: "sign_in", vi: "Đăng nhập dịch vụ", en: "Signing in to a service", needs_case_ref: false },
    Purpose { code: "healthcare", vi: "Khám chữa bệnh", en: "Healthcare", needs_case_ref: false },
];

impl Purpose {
    /// Finds a purpose by code.
    pub fn find(code: &str) -> Option<&'static Purpose> {
        PURPOSES.iter().find(|p| p.code == code)
    }
}
