//! Organizations (businesses and facilities: hotels, pawn shops, hospitals…) whose staff sign in
//! with organization accounts. Other modules hang their facilities on these.

use db::sqlx::{self, Row};
use db::{Arg, Db, Filter};
use kernel::{AppError, ErrorCode, Page, PageRequest};
use serde::Serialize;

/// What kind of business or facility an organization is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Hotel,
    Motel,
    Homestay,
    RentalHouse,
    Dormitory,
    Hospital,
    CoachOperator,
    TouristSite,
    PawnShop,
    Notary,
    School,
    Other,
}

impl OrgKind {
    pub const ALL: [OrgKind; 12] = [
        OrgKind::Hotel,
        OrgKind::Motel,
        OrgKind::Homestay,
        OrgKind::RentalHouse,
        OrgKind::Dormitory,
        OrgKind::Hospital,
        OrgKind::CoachOperator,
        OrgKind::TouristSite,
        OrgKind::PawnShop,
        OrgKind::Notary,
        OrgKind::School,
        OrgKind::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrgKind::Hotel => "hotel",
            OrgKind::Motel => "motel",
            OrgKind::Homestay => "homestay",
            OrgKind::RentalHouse => "rental_house",
            OrgKind::Dormitory => "dormitory",
            OrgKind::Hospital => "hospital",
            OrgKind::CoachOperator => "coach_operator",
            OrgKind::TouristSite => "tourist_site",
            OrgKind::PawnShop => "pawn_shop",
            OrgKind::Notary => "notary",
            OrgKind::School => "school",
            OrgKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<OrgKind> {
        OrgKind::ALL.into_iter().find(|k| k.code() == s)
    }

    /// Vietnamese and English labels.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            OrgKind::Hotel => ("Khách sạn", "Hotel"),
            OrgKind::Motel => ("Nhà nghỉ", "Motel"),
            OrgKind::Homestay => ("Homestay", "Homestay"),
            OrgKind::RentalHouse => ("Nhà cho thuê", "Rental house"),
            OrgKind::Dormitory => ("Ký túc xá", "Dormitory"),
            OrgKind::Hospital => ("Bệnh viện", "Hospital"),
            OrgKind::CoachOperator => ("Nhà xe", "Coach operator"),
            OrgKind::TouristSite => ("Khu du lịch", "Tourist site"),
            OrgKind::PawnShop => ("Cầm đồ", "Pawn shop"),
            OrgKind::Notary => ("Văn phòng công chứng", "Notary office"),
            OrgKind::School => ("Trường học", "School"),
            OrgKind::Other => ("Khác", "Other"),
        }
    }
}

/// An organization as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Organization {
    pub id: String,
    pub tax_code: String,
    pub name: String,
    pub kind: OrgKind,
    pub address: String,
    /// 2025 commune code of the address.
    pub commune_code: String,
    /// `active` or `suspended`.
    pub status: String,
    pub created_at: i64,
}

/// What an administrator enters to create an organization.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub tax_code: String,
    pub name: String,
    pub kind: OrgKind,
    pub address: String,
    pub commune_code: String,
}

/// A Vietnamese tax code (mã số thuế): 10 digits for an enterprise, `10 digits-3 digits` for a
/// branch or dependent unit.
pub fn valid_tax_code(s: &str) -> bool {
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    match s.split_once('-') {
        None => digits(s, 10),
        Some((main, branch)) => digits(main, 10) && digits(branch, 3),
    }
}

const COLUMNS: &str = "id, tax_code, name, kind, address, commune_code, status, created_at";

fn from_row(r: &db::Row) -> Option<Organization> {
    Some(Organization {
        id: r.get(0),
        tax_code: r.get(1),
        name: r.get(2),
        kind: OrgKind::parse(&r.get::<String, _>(3))?,
        address: r.get(4),
        commune_code: r.get(5),
        status: r.get(6),
        created_at: r.get(7),
    })
}

/// Creates an organization at `now` (UTC milliseconds) after checking the tax code's form and the
/// commune.
pub async fn create_organization(db: &Db, new: NewOrganization, now: i64) -> Result<Organization, AppError> {
    let tax_code = new.tax_code.trim().to_string();
    if !valid_tax_code(&tax_code) {
        return Err(AppError::invalid("tax code must be 10 digits, or 10 digits-3 digits for a branch").with_message(
            "Mã số thuế gồm 10 chữ số, hoặc 10 chữ số, dấu gạch và 3 chữ số với chi nhánh.",
            "A tax code has 10 digits, or 10 digits, a hyphen and 3 digits for a branch.",
        ));
    }
    let name = kernel::text::normalize_name(&new.name);
    let address = kernel::text::normalize_name(&new.address);
    if name.is_empty() || address.is_empty() {
        return Err(AppError::invalid("name and address are required").with_message(
            "Cần nhập tên và địa chỉ của tổ chức.",
            "The organization's name and address are required.",
        ));
    }
    if registry::admin_units::AdminUnits::get().commune(&new.commune_code).is_none() {
        return Err(AppError::new(ErrorCode::UnknownCommune, format!("unknown commune code {}", new.commune_code))
            .with_message(
                "Không có xã, phường nào có mã này: hãy chọn xã, phường trong danh sách.",
                "No commune has this code: pick the commune from the list.",
            ));
    }
    let org = Organization {
        id: kernel::ids::new_id(),
        tax_code,
        name,
        kind: new.kind,
        address,
        commune_code: new.commune_code,
        status: "active".into(),
        created_at: now,
    };
    let res = sqlx::query(
        "INSERT INTO organizations (id, tax_code, name, name_folded, kind, address, commune_code, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&org.id)
    .bind(&org.tax_code)
    .bind(&org.name)
    .bind(kernel::text::fold(&org.name))
    .bind(org.kind.code())
    .bind(&org.address)
    .bind(&org.commune_code)
    .bind(&org.status)
    .bind(org.created_at)
    .execute(db.write())
    .await;
    match res {
        Ok(_) => Ok(org),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(AppError::new(ErrorCode::Conflict, "an organization with this tax code exists").with_message(
                "Đã có tổ chức đăng ký với mã số thuế này.",
                "An organization with this tax code is already registered.",
            ))
        }
        Err(e) => Err(kernel::AppError::from(e)),
    }
}

/// An organization by id.
pub async fn get_organization(db: &Db, id: &str) -> Result<Option<Organization>, AppError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM organizations WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.read())
        .await?;
    Ok(row.as_ref().and_then(from_row))
}

/// Organizations whose name starts with `q` (diacritics optional) or whose tax code is `q`.
pub async fn list_organizations(db: &Db, q: Option<&str>, page: PageRequest) -> Result<Page<Organization>, AppError> {
    let mut f = Filter::new();
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        if q.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
            f.and("tax_code = ?", Arg::Text(q.to_string()));
        } else {
            f.and("name_folded LIKE ?", Arg::Text(format!("{}%", kernel::text::fold(q).replace(['%', '_'], ""))));
        }
    }
    let rows =
        f.fetch_page(db.read(), &format!("SELECT {COLUMNS} FROM organizations"), "name_folded, id", page).await?;
    Ok(Page::from_probe(rows.iter().filter_map(from_row).collect(), page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_codes() {
        assert!(valid_tax_code("0101234567"));
        assert!(valid_tax_code("0101234567-001"));
        assert!(!valid_tax_code("010123456"));
        assert!(!valid_tax_code("0101234567-01"));
        assert!(!valid_tax_code("01012345a7"));
        assert!(!valid_tax_code("0101234567-001-2"));
    }
}
