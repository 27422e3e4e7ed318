//! Registry data put into a form for the applicant: shown read-only with its source, never typed
//! again and never asked for as a paper copy (pilot model 3). Each fill is one access-log entry
//! naming exactly what was released, with the purpose "handling a public service application".

use audit::Stores;
use kernel::{Actor, Jurisdiction};
use kernel::{AppError, PersonalId};
use registry::queries::households::HouseholdView;
use registry::queries::persons::PersonView;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalogue::Procedure;

/// Where pre-filled values come from.
pub const SOURCE_VI: &str = "Cơ sở dữ liệu quốc gia về dân cư";
pub const SOURCE_EN: &str = "National population database";

/// One pre-filled value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PrefillItem {
    pub key: String,
    pub label_vi: String,
    pub label_en: String,
    pub value: String,
}

/// The applicant's registry data for one procedure.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Prefilled {
    pub items: Vec<PrefillItem>,
    #[serde(skip)]
    pub person: PersonView,
    #[serde(skip)]
    pub household: Option<HouseholdView>,
}

fn item(key: &str, vi: &str, en: &str, value: String) -> PrefillItem {
    PrefillItem { key: key.into(), label_vi: vi.into(), label_en: en.into(), value }
}

/// Reads the applicant and (when the procedure needs it) their household, and logs the release.
/// `actor` is who sees the form: the citizen, a kiosk, or a desk officer at the counter. `now` is
/// UTC milliseconds, the time of the logged read.
pub async fn load(
    stores: &Stores,
    actor: &Actor,
    person_id: &str,
    procedure: &Procedure,
    channel: &str,
    now: i64,
) -> Result<Prefilled, AppError> {
    let id = PersonalId::parse(person_id)?;
    let person = registry::queries::persons::get_self(&stores.db, &id)
        .await?
        .ok_or_else(|| AppError::not_found("the applicant is not in the population registry"))?;
    if person.status != "living" {
        return Err(AppError::new(kernel::ErrorCode::Conflict, "the applicant is not recorded as living"));
    }
    let mut items = Vec::new();
    for key in &procedure.prefill {
        match key.as_str() {
            "full_name" => items.push(item(key, "Họ, chữ đệm và tên", "Full name", person.full_name.clone())),
            "personal_id" => items.push(item(key, "Số định danh cá nhân", "Personal id", person.personal_id.clone())),
            "birth_date" => {
                items.push(item(key, "Ngày sinh", "Date of birth", person.birth_date_vn.clone().unwrap_or_default()))
            }
            "gender" => items.push(item(
                key,
                "Giới tính",
                "Gender",
                match person.gender.as_deref() {
                    Some("M") => "Nam".into(),
                    Some("F") => "Nữ".into(),
                    _ => String::new(),
                },
            )),
            "current_address" => items.push(item(
                key,
                "Nơi ở hiện tại",
                "Current residence",
                person
                    .current_residence
                    .as_ref()
                    .map(|p| format!("{}, {}, {}", p.address, p.commune_name, p.province_name))
                    .unwrap_or_default(),
            )),
            _ => {}
        }
    }
    let household = if procedure.needs_household() { household_of(stores, &person).await? } else { None };
    if let Some(h) = &household {
        let head = h.members.iter().find(|m| m.personal_id == h.head_id).map(|m| m.full_name.clone());
        items.push(item("household", "Mã hộ", "Household id", h.id.clone()));
        items.push(item("household_head", "Chủ hộ", "Head of household", head.unwrap_or_default()));
        let members: Vec<String> = h
            .members
            .iter()
            .filter(|m| m.status == "living")
            .map(|m| format!("{} ({})", m.full_name, m.relationship_vi))
            .collect();
        items.push(item("household_members", "Thành viên hộ", "Household members", members.join("; ")));
    }
    let released: Vec<&str> = items.iter().map(|i| i.key.as_str()).collect();
    stores
        .access_log
        .record(audit::AccessEntry {
            at: now,
            actor_id: actor.account_id.clone(),
            actor_label: actor.actor_label(),
            subject_id: person.personal_id.clone(),
            action: "services.prefill".into(),
            purpose: "public_service".into(),
            released: released.join(","),
            channel: channel.into(),
        })
        .await?;
    Ok(Prefilled { items, person, household })
}

/// The person's household with all its members, wherever they live now.
async fn household_of(stores: &Stores, person: &PersonView) -> Result<Option<HouseholdView>, AppError> {
    let Some(id) = person.household_id.as_deref() else { return Ok(None) };
    let units = registry::admin_units::AdminUnits::get();
    let Some(province) =
        person.current_residence.as_ref().and_then(|p| units.commune(&p.commune_code)).map(|c| c.province_code.clone())
    else {
        return Ok(None);
    };
    registry::queries::households::get(&stores.db, id, &Jurisdiction::Province(province)).await
}
