//! What dancu publishes on the exchange: its services with the fields (questions) each can answer,
//! and the legal bases a request may name as its purpose.
//!
//! Both are data in code for now: a right names a service, a purpose and a subset of the service's
//! fields, and a request is checked against the right, so the lists here bound what any member can
//! ever be granted.

use serde::Serialize;
use utoipa::ToSchema;

/// A field of a service: for the yes/no verification service, a question it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ExchangeField)]
pub struct Field {
    pub code: &'static str,
    pub vi: &'static str,
    pub en: &'static str,
}

/// A service of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ExchangeService)]
pub struct Service {
    pub code: &'static str,
    pub vi: &'static str,
    pub en: &'static str,
    #[schema(value_type = Vec<Field>)]
    pub fields: &'static [Field],
}

/// The person verification service: answers yes or no, never releases data.
pub const PERSON_VERIFY: &str = "person.verify";

/// Person lookup with a declared field set.
pub const PERSON_LOOKUP: &str = "person.lookup";
/// Residence confirmation.
pub const RESIDENCE_CONFIRM: &str = "residence.confirm";
/// Household composition.
pub const HOUSEHOLD_MEMBERS: &str = "household.members";
/// Identity card validity.
pub const CARD_VALIDITY: &str = "card.validity";
/// Deaths and moves, delivered to a subscription.
pub const PERSON_CHANGES: &str = "person.changes";

/// The services dancu publishes.
pub const SERVICES: &[Service] = &[
    Service {
        code: PERSON_VERIFY,
        vi: "Xác thực thông tin công dân (trả lời có/không)",
        en: "Verify a person's attributes (yes/no answers)",
        fields: &[
            Field {
                code: "living_resident",
                vi: "Số định danh, họ tên và ngày sinh khớp với một công dân đang sinh sống",
                en: "The personal id, name and birth date are those of a living resident",
            },
            Field {
                code: "lives_in_commune",
                vi: "Công dân đang cư trú tại xã đã nêu",
                en: "The person lives in the commune given",
            },
            Field { code: "over_18", vi: "Công dân đủ 18 tuổi", en: "The person is 18 or over" },
        ],
    },
    Service {
        code: PERSON_LOOKUP,
        vi: "Tra cứu thông tin công dân theo danh sách trường khai báo",
        en: "Person lookup with a declared field set",
        fields: &[
            Field { code: "full_name", vi: "Họ và tên", en: "Full name" },
            Field { code: "gender", vi: "Giới tính", en: "Gender" },
            Field { code: "birth_date", vi: "Ngày sinh", en: "Date of birth" },
            Field { code: "status", vi: "Tình trạng (còn sống, đã mất)", en: "Status (living, deceased)" },
            Field { code: "nationality", vi: "Quốc tịch", en: "Nationality" },
            Field { code: "ethnicity", vi: "Dân tộc", en: "Ethnic group" },
            Field { code: "residence", vi: "Nơi cư trú hiện tại", en: "Current residence" },
        ],
    },
    Service {
        code: RESIDENCE_CONFIRM,
        vi: "Xác nhận thông tin cư trú",
        en: "Residence confirmation",
        fields: &[Field { code: "residence", vi: "Nơi cư trú hiện tại", en: "Current residence" }],
    },
    Service {
        code: HOUSEHOLD_MEMBERS,
        vi: "Thành viên hộ gia đình",
        en: "Household composition",
        fields: &[Field {
            code: "members",
            vi: "Thành viên hộ: số định danh, họ tên, ngày sinh, quan hệ với chủ hộ",
            en: "Household members: personal id, name, birth date, relationship to the head",
        }],
    },
    Service {
        code: CARD_VALIDITY,
        vi: "Kiểm tra hiệu lực thẻ căn cước",
        en: "Identity card validity",
        fields: &[Field {
            code: "status",
            vi: "Thẻ là của công dân và còn hiệu lực",
            en: "The card is the person's and valid",
        }],
    },
    Service {
        code: PERSON_CHANGES,
        vi: "Thông báo công dân qua đời, chuyển nơi cư trú (đăng ký nhận)",
        en: "Death and move notifications (subscription)",
        fields: &[
            Field { code: "deceased", vi: "Công dân qua đời", en: "A person died" },
            Field {
                code: "moved",
                vi: "Công dân chuyển nơi thường trú",
                en: "A person moved their permanent residence",
            },
        ],
    },
];

impl Service {
    pub fn find(code: &str) -> Option<&'static Service> {
        SERVICES.iter().find(|s| s.code == code)
    }

    pub fn has_field(&self, code: &str) -> bool {
        self.fields.iter().any(|f| f.code == code)
    }
}

/// A legal basis a request names as its purpose (mục đích khai thác theo căn cứ pháp lý).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ExchangePurpose)]
pub struct Purpose {
    pub code: &'static str,
    pub vi: &'static str,
    pub en: &'static str,
    /// The law or decree.
    pub basis: &'static str,
    /// The access-log purpose the citizen reads for a call made for this purpose (a code of
    /// `audit::PURPOSES`).
    pub access_purpose: &'static str,
    /// Requests must name a consent the citizen gave the member (`crate::consent`); statutory
    /// purposes need none, and still show in the citizen's log.
    pub needs_consent: bool,
}

/// The legal bases the province grants rights under; the last ones need the citizen's consent.
pub const PURPOSES: &[Purpose] = &[
    Purpose {
        code: "residence_management",
        vi: "Quản lý cư trú",
        en: "Residence management",
        basis: "Luật Cư trú 2020",
        access_purpose: "administration",
        needs_consent: false,
    },
    Purpose {
        code: "identification",
        vi: "Xác thực căn cước",
        en: "Identification",
        basis: "Luật Căn cước 2023",
        access_purpose: "identity_verification",
        needs_consent: false,
    },
    Purpose {
        code: "social_insurance",
        vi: "Giải quyết chế độ bảo hiểm xã hội",
        en: "Social insurance benefits",
        basis: "Luật Bảo hiểm xã hội 2024",
        access_purpose: "public_service",
        needs_consent: false,
    },
    Purpose {
        code: "health_insurance",
        vi: "Khám chữa bệnh bảo hiểm y tế",
        en: "Health insurance care",
        basis: "Luật Bảo hiểm y tế",
        access_purpose: "healthcare",
        needs_consent: false,
    },
    Purpose {
        code: "tax_administration",
        vi: "Quản lý thuế",
        en: "Tax administration",
        basis: "Luật Quản lý thuế 2019",
        access_purpose: "public_service",
        needs_consent: false,
    },
    Purpose {
        code: "customer_identification",
        vi: "Nhận biết khách hàng",
        en: "Customer identification",
        basis: "Luật Phòng, chống rửa tiền 2022",
        access_purpose: "identity_verification",
        needs_consent: false,
    },
    Purpose {
        code: "credit_assessment",
        vi: "Thẩm định cấp tín dụng",
        en: "Credit assessment",
        basis: "Nghị định 13/2023/NĐ-CP, có sự đồng ý của chủ thể dữ liệu",
        access_purpose: "identity_verification",
        needs_consent: true,
    },
    Purpose {
        code: "private_healthcare",
        vi: "Khám chữa bệnh tại cơ sở y tế tư nhân",
        en: "Care at a private clinic",
        basis: "Nghị định 13/2023/NĐ-CP, có sự đồng ý của chủ thể dữ liệu",
        access_purpose: "healthcare",
        needs_consent: true,
    },
];

impl Purpose {
    pub fn find(code: &str) -> Option<&'static Purpose> {
        PURPOSES.iter().find(|p| p.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_purpose_names_an_access_log_purpose() {
        for p in PURPOSES {
            assert!(audit::Purpose::find(p.access_purpose).is_some(), "{}", p.code);
        }
        assert!(Purpose::find("marketing").is_none());
        assert!(Service::find(PERSON_VERIFY).is_some_and(|s| s.has_field("over_18") && !s.has_field("full_name")));
    }
}
