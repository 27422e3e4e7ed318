//! Citizen self-registration at e-ID level 1 (Decree 69/2024): the personal id, full name and date
//! of birth must match the population registry, the phone number is confirmed with a one-time
//! code, and the login is the personal id. A guardian at level 2 registers a child under 14.

use chrono::NaiveDate;
use db::Db;
use kernel::{AppError, ErrorCode, PartialDate, PersonalId};
use kernel::{Jurisdiction, Role};
use registry::queries::persons::PersonView;
use serde::{Deserialize, Serialize};

use crate::accounts::{insert_account, Account, AccountExtras, NewAccount};
use crate::password::{check_new_pair, NewPasswordProblem, PasswordHasher};

/// Youngest age at which a citizen registers on their own; younger children are registered by a
/// guardian.
pub const SELF_REGISTRATION_AGE: i32 = 14;
/// Purpose code of registration one-time codes.
pub const OTP_PURPOSE: &str = "register";

/// A child's registration by their guardian: the child's identity and their new password twice.
#[derive(Debug, Clone)]
pub struct ChildRegistration {
    pub claim: IdentityClaim,
    pub password: String,
    pub password_again: String,
}

/// What the citizen types to prove who they are.
#[derive(Debug, Clone)]
pub struct IdentityClaim {
    pub person_id: String,
    pub full_name: String,
    /// As printed on the card: `dd/mm/yyyy`, `mm/yyyy` or `yyyy`.
    pub birth_date: String,
}

/// A citizen's self-registration as submitted: who they claim to be, the phone that will receive
/// the one-time code, and the new password typed twice.
#[derive(Debug, Clone)]
pub struct RegistrationRequest {
    pub claim: IdentityClaim,
    pub phone: String,
    pub password: String,
    pub password_again: String,
}

/// Why a registration was refused. `Mismatch` covers unknown ids, wrong names and wrong dates
/// alike, so the form cannot be used to learn who is in the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimError {
    /// Not a Vietnamese mobile number.
    BadPhone,
    /// The new password breaks the password rules.
    Password(NewPasswordProblem),
    Mismatch,
    AlreadyRegistered,
    TooYoung,
    NotAChildOfGuardian,
    NotUnder14,
}

impl ClaimError {
    /// Vietnamese and English explanation.
    pub fn message(&self) -> (&'static str, &'static str) {
        match self {
            ClaimError::BadPhone => ("Số điện thoại di động không hợp lệ.", "Invalid mobile phone number."),
            ClaimError::Password(p) => p.message(),
            ClaimError::Mismatch => (
                "Thông tin không khớp với Cơ sở dữ liệu quốc gia về dân cư. Kiểm tra lại số định danh, họ tên và ngày sinh như trên thẻ căn cước.",
                "The details do not match the national population database. Check the personal id, full name and date of birth as printed on your card.",
            ),
            ClaimError::AlreadyRegistered => (
                "Số định danh này đã có tài khoản. Hãy đăng nhập.",
                "This personal id already has an account. Please sign in.",
            ),
            ClaimError::TooYoung => (
                "Công dân dưới 14 tuổi được cha, mẹ hoặc người giám hộ đăng ký từ tài khoản mức 2 của họ.",
                "Citizens under 14 are registered by a parent or guardian from their level-2 account.",
            ),
            ClaimError::NotAChildOfGuardian => (
                "Theo Cơ sở dữ liệu quốc gia về dân cư, bạn không phải cha hoặc mẹ của người này.",
                "According to the national population database you are not this person's parent.",
            ),
            ClaimError::NotUnder14 => (
                "Người từ 14 tuổi trở lên tự đăng ký tài khoản.",
                "People aged 14 or more register their own account.",
            ),
        }
    }
}

/// Checks a claim against the registry: a living person whose name (NFC, case and diacritics
/// ignored) and date of birth (same precision) match, with no account yet.
pub async fn check_claim(db: &Db, claim: &IdentityClaim) -> Result<Result<PersonView, ClaimError>, AppError> {
    let Ok(id) = PersonalId::parse(claim.person_id.trim()) else { return Ok(Err(ClaimError::Mismatch)) };
    let Ok(birth) = PartialDate::parse_vn(claim.birth_date.trim()) else { return Ok(Err(ClaimError::Mismatch)) };
    let Some(person) = registry::queries::persons::get_self(db, &id).await? else {
        return Ok(Err(ClaimError::Mismatch));
    };
    let name_ok =
        kernel::text::fold(&kernel::text::normalize_name(&claim.full_name)) == kernel::text::fold(&person.full_name);
    let birth_ok = person.birth_date.as_deref() == Some(birth.to_storage().as_str());
    if !name_ok || !birth_ok || person.status != "living" {
        return Ok(Err(ClaimError::Mismatch));
    }
    if crate::accounts::account_by_person(db, id.as_str()).await?.is_some() {
        return Ok(Err(ClaimError::AlreadyRegistered));
    }
    Ok(Ok(person))
}

/// Age on `today` (a Vietnam date), counting a partial date of birth from its latest possible day.
pub fn age_of(person: &PersonView, today: NaiveDate) -> Option<i32> {
    let birth = PartialDate::parse(person.birth_date.as_deref()?).ok()?;
    Some(kernel::clock::age_on(birth.latest(), today))
}

/// Checks a self-registration on `today`: phone, password rules, the claim against the registry,
/// and age (children under 14 are registered by a guardian). The answer is the registration that
/// waits for the phone's one-time code, with the password already hashed.
pub async fn prepare(
    db: &Db,
    hasher: &PasswordHasher,
    req: &RegistrationRequest,
    today: NaiveDate,
) -> Result<Result<PendingRegistration, ClaimError>, AppError> {
    let Some(phone) = normalize_phone(&req.phone) else { return Ok(Err(ClaimError::BadPhone)) };
    if let Err(p) =
        check_new_pair(&req.password, &req.password_again, &[req.claim.person_id.trim(), req.phone.trim(), &phone])
    {
        return Ok(Err(ClaimError::Password(p)));
    }
    let person = match check_claim(db, &req.claim).await? {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    if age_of(&person, today).is_some_and(|age| age < SELF_REGISTRATION_AGE) {
        return Ok(Err(ClaimError::TooYoung));
    }
    Ok(Ok(PendingRegistration {
        person_id: person.personal_id,
        full_name: person.full_name,
        phone,
        password_hash: hasher.hash(&req.password).await?,
    }))
}

/// Whether `account` may register children: a level-2 citizen account tied to a person.
pub fn may_register_children(account: &Account) -> bool {
    account.role == Role::Citizen && account.level >= 2 && account.person_id.is_some()
}

/// A Vietnamese mobile number as `0` + 9 digits; accepts `+84…`, `84…` and spaces or dots.
pub fn normalize_phone(s: &str) -> Option<String> {
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    let national =
        if let Some(rest) = digits.strip_prefix("84").filter(|r| r.len() == 9) { format!("0{rest}") } else { digits };
    (national.len() == 10 && national.starts_with('0') && national.as_bytes().get(1) != Some(&b'0')).then_some(national)
}

/// What waits behind the phone confirmation: the checked identity and the password's hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingRegistration {
    pub person_id: String,
    pub full_name: String,
    pub phone: String,
    pub password_hash: String,
}

fn citizen(person_id: &str, full_name: &str) -> NewAccount {
    NewAccount {
        login: person_id.to_string(),
        display_name: full_name.to_string(),
        role: Role::Citizen,
        jurisdiction: Jurisdiction::Own(person_id.to_string()),
        password: String::new(),
    }
}

/// Creates the level-1 account at `now` (UTC milliseconds) once the phone code was confirmed.
pub async fn complete(db: &Db, p: &PendingRegistration, now: i64) -> Result<Account, AppError> {
    let mut conn = db.write().acquire().await?;
    let extras = AccountExtras {
        person_id: Some(p.person_id.clone()),
        level: 1,
        phone: Some(p.phone.clone()),
        ..Default::default()
    };
    insert_account(&mut conn, &citizen(&p.person_id, &p.full_name), &p.password_hash, extras, now).await
}

/// A guardian registers their child under 14 at `now` (UTC milliseconds; its day in Vietnam
/// decides the age): the password rules, the child's claim
/// against the registry, which must name the guardian as the child's father or mother, and the
/// age. The child's account is linked to, and managed by, the guardian's.
pub async fn register_child(
    db: &Db,
    hasher: &PasswordHasher,
    guardian: &Account,
    req: &ChildRegistration,
    now: i64,
) -> Result<Result<Account, ClaimError>, AppError> {
    let today = kernel::clock::date_vn(now);
    if !may_register_children(guardian) {
        return Err(AppError::new(ErrorCode::Forbidden, "a level-2 citizen account is needed to register a child"));
    }
    if let Err(p) = check_new_pair(&req.password, &req.password_again, &[req.claim.person_id.trim()]) {
        return Ok(Err(ClaimError::Password(p)));
    }
    let child = match check_claim(db, &req.claim).await? {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    let parent = guardian.person_id.as_deref();
    if child.father_id.as_deref() != parent && child.mother_id.as_deref() != parent {
        return Ok(Err(ClaimError::NotAChildOfGuardian));
    }
    if age_of(&child, today).is_none_or(|age| age >= SELF_REGISTRATION_AGE) {
        return Ok(Err(ClaimError::NotUnder14));
    }
    let password_hash = hasher.hash(&req.password).await?;
    let mut conn = db.write().acquire().await?;
    let extras = AccountExtras {
        person_id: Some(child.personal_id.clone()),
        level: 1,
        guardian_account_id: Some(guardian.id.clone()),
        ..Default::default()
    };
    insert_account(&mut conn, &citizen(&child.personal_id, &child.full_name), &password_hash, extras, now).await.map(Ok)
}

/// Accounts a guardian manages.
pub async fn children_of(db: &Db, guardian_id: &str) -> Result<Vec<Account>, AppError> {
    use db::sqlx;
    let rows = sqlx::query(&format!(
        "SELECT {} FROM accounts a WHERE a.guardian_account_id = $1 ORDER BY a.display_name",
        crate::accounts::ACCOUNT_COLUMNS
    ))
    .bind(guardian_id)
    .fetch_all(db.read())
    .await?;
    Ok(rows.iter().filter_map(crate::accounts::account_from_row).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(normalize_phone("0912 345 678").as_deref(), Some("0912345678"));
        assert_eq!(normalize_phone("+84 912.345.678").as_deref(), Some("0912345678"));
        assert_eq!(normalize_phone("84912345678").as_deref(), Some("0912345678"));
        assert_eq!(normalize_phone("091234567"), None);
        assert_eq!(normalize_phone("0012345678"), None);
        assert_eq!(normalize_phone("abc"), None);
    }
}
