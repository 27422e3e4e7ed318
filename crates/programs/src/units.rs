//! Organizational units that register and report: provincial departments, the provincial police,
//! the 2025 communes of the province and other agencies; and their focal-point accounts.

use db::sqlx::{self, Row};
use db::{Arg, Db, Filter};
use kernel::{AppError, ErrorCode};
use kernel::{Jurisdiction, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What kind of body a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// A provincial department (Sở) or the Provincial People's Committee Office.
    Department,
    /// The provincial police (Công an tỉnh), standing body of the working group.
    Police,
    /// A 2025 commune or ward (UBND xã, phường).
    Commune,
    /// Another agency (social insurance, public administration centre, …).
    Agency,
}

impl UnitKind {
    pub const ALL: [UnitKind; 4] = [UnitKind::Department, UnitKind::Police, UnitKind::Commune, UnitKind::Agency];

    pub fn code(self) -> &'static str {
        match self {
            UnitKind::Department => "department",
            UnitKind::Police => "police",
            UnitKind::Commune => "commune",
            UnitKind::Agency => "agency",
        }
    }

    pub fn parse(s: &str) -> Option<UnitKind> {
        UnitKind::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            UnitKind::Department => ("Sở, ngành", "Department"),
            UnitKind::Police => ("Công an", "Police"),
            UnitKind::Commune => ("Xã, phường", "Commune"),
            UnitKind::Agency => ("Cơ quan khác", "Other agency"),
        }
    }
}

/// A unit.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Unit {
    pub id: String,
    pub kind: UnitKind,
    pub name: String,
    pub name_en: String,
    /// The 2025 commune code, for communes.
    pub commune_code: Option<String>,
    pub province_code: String,
    pub active: bool,
}

impl Unit {
    pub fn display_name(&self, lang: kernel::Lang) -> &str {
        lang.pick(&self.name, &self.name_en)
    }
}

/// Provincial bodies every province has: (id, kind, Vietnamese name, English name).
const PROVINCIAL_UNITS: &[(&str, UnitKind, &str, &str)] = &[
    ("cong-an-tinh", UnitKind::Police, "Công an tỉnh", "Provincial Police"),
    ("van-phong-ubnd", UnitKind::Department, "Văn phòng UBND tỉnh", "Provincial People's Committee Office"),
    ("so-noi-vu", UnitKind::Department, "Sở Nội vụ", "Department of Home Affairs"),
    ("so-tu-phap", UnitKind::Department, "Sở Tư pháp", "Department of Justice"),
    ("so-tai-chinh", UnitKind::Department, "Sở Tài chính", "Department of Finance"),
    ("so-cong-thuong", UnitKind::Department, "Sở Công Thương", "Department of Industry and Trade"),
    (
        "so-nong-nghiep-moi-truong",
        UnitKind::Department,
        "Sở Nông nghiệp và Môi trường",
        "Department of Agriculture and Environment",
    ),
    ("so-xay-dung", UnitKind::Department, "Sở Xây dựng", "Department of Construction"),
    ("so-khoa-hoc-cong-nghe", UnitKind::Department, "Sở Khoa học và Công nghệ", "Department of Science and Technology"),
    ("so-giao-duc-dao-tao", UnitKind::Department, "Sở Giáo dục và Đào tạo", "Department of Education and Training"),
    ("so-y-te", UnitKind::Department, "Sở Y tế", "Department of Health"),
    (
        "so-van-hoa-the-thao-du-lich",
        UnitKind::Department,
        "Sở Văn hóa, Thể thao và Du lịch",
        "Department of Culture, Sports and Tourism",
    ),
    (
        "so-dan-toc-ton-giao",
        UnitKind::Department,
        "Sở Dân tộc và Tôn giáo",
        "Department of Ethnic Minorities and Religions",
    ),
    ("bhxh-tinh", UnitKind::Agency, "Bảo hiểm xã hội tỉnh", "Provincial Social Insurance"),
    (
        "trung-tam-phuc-vu-hcc",
        UnitKind::Agency,
        "Trung tâm Phục vụ hành chính công tỉnh",
        "Provincial Public Administration Service Centre",
    ),
    ("ban-ql-kcn", UnitKind::Agency, "Ban Quản lý các khu công nghiệp tỉnh", "Industrial Zones Management Board"),
];

/// The unit id of a commune.
pub fn commune_unit_id(commune_code: &str) -> String {
    format!("xa-{commune_code}")
}

/// Creates the province's units (provincial bodies and every 2025 commune) and their default
/// reporting calendar, once; returns how many units were added. The programme's province is fixed
/// by the first call. `now` (UTC milliseconds) is their creation time.
pub async fn seed(db: &Db, province: &str, now: i64) -> Result<usize, AppError> {
    let units = registry::admin_units::AdminUnits::get();
    if units.province(province).is_none() {
        return Err(AppError::new(ErrorCode::UnknownProvince, province.to_string()));
    }
    match crate::settings::province(db).await? {
        Some(p) if p != province => {
            return Err(AppError::new(ErrorCode::Conflict, format!("the programme already covers province {p}")))
        }
        Some(_) => {}
        None => crate::settings::set(db, "province", province).await?,
    }
    let mut all: Vec<(String, UnitKind, String, String, Option<String>)> = PROVINCIAL_UNITS
        .iter()
        .map(|(id, kind, vi, en)| (id.to_string(), *kind, vi.to_string(), en.to_string(), None))
        .collect();
    all.extend(
        units.communes_of(province).into_iter().map(|c| {
            (commune_unit_id(&c.code), UnitKind::Commune, c.name.clone(), c.name.clone(), Some(c.code.clone()))
        }),
    );
    let mut added = 0;
    let mut tx = db.begin().await?;
    for (id, kind, name, name_en, commune) in &all {
        let res = sqlx::query(
            "INSERT INTO program_units (id, kind, name, name_en, name_folded, commune_code, province_code, active, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(kind.code())
        .bind(name)
        .bind(name_en)
        .bind(kernel::text::fold(name))
        .bind(commune.clone())
        .bind(province)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() == 1 {
            added += 1;
            for (freq, day) in crate::calendar::DEFAULT_SCHEDULE {
                sqlx::query("INSERT INTO program_schedules (unit_id, frequency, due_day) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(freq.code())
                    .bind(*day)
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    db::idempotency::bind(&mut tx).await?;
    tx.commit().await?;
    Ok(added)
}

const UNIT_COLUMNS: &str = "u.id, u.kind, u.name, u.name_en, u.commune_code, u.province_code, u.active";

fn unit_from(r: &db::Row) -> Unit {
    Unit {
        id: r.get(0),
        kind: UnitKind::parse(&r.get::<String, _>(1)).unwrap_or(UnitKind::Agency),
        name: r.get(2),
        name_en: r.get(3),
        commune_code: r.get(4),
        province_code: r.get(5),
        active: r.get::<i64, _>(6) != 0,
    }
}

/// Units, optionally of one kind and matching a diacritic-free name prefix or word.
pub async fn list(db: &Db, kind: Option<UnitKind>, q: Option<&str>) -> Result<Vec<Unit>, AppError> {
    let mut f = Filter::new();
    if let Some(k) = kind {
        f.and("u.kind = ?", Arg::Text(k.code().into()));
    }
    if let Some(q) = q.map(kernel::text::fold).filter(|q| !q.is_empty()) {
        f.and("u.name_folded LIKE ?", Arg::Text(format!("%{}%", q.replace(['%', '_'], ""))));
    }
    let sql = format!(
        "SELECT {UNIT_COLUMNS} FROM program_units u WHERE {} ORDER BY CASE u.kind WHEN 'police' THEN 0 \
         WHEN 'department' THEN 1 WHEN 'agency' THEN 2 ELSE 3 END, u.name_folded",
        f.sql()
    );
    let rows = f.bind(sqlx::query(&sql)).fetch_all(db.read()).await?;
    Ok(rows.iter().map(unit_from).collect())
}

/// One unit, or `not_found`.
pub async fn get(db: &Db, id: &str) -> Result<Unit, AppError> {
    sqlx::query(&format!("SELECT {UNIT_COLUMNS} FROM program_units u WHERE u.id = $1"))
        .bind(id)
        .fetch_optional(db.read())
        .await?
        .map(|r| unit_from(&r))
        .ok_or_else(|| AppError::not_found(format!("unit {id}")))
}

/// The unit an account is the focal point of.
pub async fn of_account(db: &Db, account_id: &str) -> Result<Option<Unit>, AppError> {
    Ok(sqlx::query(&format!(
        "SELECT {UNIT_COLUMNS} FROM program_units u JOIN unit_members m ON m.unit_id = u.id WHERE m.account_id = $1"
    ))
    .bind(account_id)
    .fetch_optional(db.read())
    .await?
    .map(|r| unit_from(&r)))
}

/// Records an account as a focal point of a unit (an account serves one unit) at `now` (UTC
/// milliseconds).
pub async fn add_member(db: &Db, unit_id: &str, account_id: &str, now: i64) -> Result<(), AppError> {
    get(db, unit_id).await?;
    let res = sqlx::query("INSERT INTO unit_members (account_id, unit_id, created_at) VALUES ($1, $2, $3)")
        .bind(account_id)
        .bind(unit_id)
        .bind(now)
        .execute(db.write())
        .await;
    match res {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(AppError::new(ErrorCode::Conflict, "the account is already the focal point of a unit"))
        }
        Err(e) => Err(kernel::AppError::from(e)),
    }
}

/// Account ids of a unit's focal points.
pub async fn members(db: &Db, unit_id: &str) -> Result<Vec<String>, AppError> {
    let rows = sqlx::query("SELECT account_id FROM unit_members WHERE unit_id = $1 ORDER BY created_at")
        .bind(unit_id)
        .fetch_all(db.read())
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// A new focal-point account for a unit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewFocal {
    pub login: String,
    pub display_name: String,
    pub password: String,
}

/// Creates a `unit_focal` account (commune jurisdiction for communes, province otherwise) and makes
/// it the unit's focal point, at `now` (UTC milliseconds).
pub async fn create_focal(
    db: &Db,
    hasher: &identity::PasswordHasher,
    unit_id: &str,
    new: NewFocal,
    now: i64,
) -> Result<identity::Account, AppError> {
    let unit = get(db, unit_id).await?;
    let jurisdiction = match &unit.commune_code {
        Some(c) => Jurisdiction::Commune(c.clone()),
        None => Jurisdiction::Province(unit.province_code.clone()),
    };
    let account = identity::create_account(
        db,
        hasher,
        identity::NewAccount {
            login: new.login,
            display_name: new.display_name,
            role: Role::UnitFocal,
            jurisdiction,
            password: new.password,
        },
        now,
    )
    .await?;
    add_member(db, unit_id, &account.id, now).await?;
    Ok(account)
}
