//! Reading applications: one by id or receipt code, a citizen's own, and an officer's inbox with
//! the jurisdiction applied in SQL.

use db::sqlx;
use db::{Arg, Db, Filter};
use kernel::{Actor, Jurisdiction, Role};
use kernel::{AppError, ErrorCode, Page, PageRequest};

use super::model::{from_row, status, Application, COLUMNS};

/// An application by id.
pub async fn by_id(db: &Db, id: &str) -> Result<Option<Application>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM svc_applications a WHERE a.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(db.read()).await?;
    Ok(row.as_ref().map(from_row))
}

/// Restricts a query to the applications an officer handles: provincial officers and
/// administrators see their province; commune officers see their commune's applications that
/// go to the commune level and to their own role (police: residence; one-stop desk: civil
/// status). Other roles are refused.
pub fn officer_scope(user: &Actor, f: &mut Filter) -> Result<(), AppError> {
    match (user.role, &user.jurisdiction) {
        (Role::Admin | Role::ProvincialOfficer, Jurisdiction::Province(p)) => {
            f.and("a.province_code = ?", Arg::Text(p.clone()));
        }
        (Role::DeskOfficer | Role::CommunePolice, Jurisdiction::Commune(c)) => {
            f.and("a.commune_code = ?", Arg::Text(c.clone()));
            f.and("a.agency_level = ?", Arg::Text("commune".into()));
            f.and("a.handler_role = ?", Arg::Text(user.role.code().into()));
        }
        (Role::DeskOfficer, Jurisdiction::Province(p)) => {
            f.and("a.province_code = ?", Arg::Text(p.clone()));
            f.and("a.handler_role = ?", Arg::Text(user.role.code().into()));
        }
        _ => return Err(AppError::forbidden("only officers who handle applications")),
    }
    f.and("a.status <> ?", Arg::Text(status::DRAFT.into()));
    Ok(())
}

/// An application the officer handles; anything else is not found.
pub async fn for_officer(db: &Db, user: &Actor, id: &str) -> Result<Application, AppError> {
    let mut f = Filter::new();
    f.and("a.id = ?", Arg::Text(id.to_string()));
    officer_scope(user, &mut f)?;
    let sql = format!("SELECT {COLUMNS} FROM svc_applications a WHERE {}", f.sql());
    let row = f.bind(sqlx::query(&sql)).fetch_optional(db.read()).await?;
    row.as_ref().map(from_row).ok_or_else(|| AppError::not_found("no such application in your inbox"))
}

/// An application of this applicant; anyone else's is not found.
pub async fn for_applicant(db: &Db, person_id: &str, id: &str) -> Result<Application, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM svc_applications a WHERE a.id = $1 AND a.applicant_person_id = $2");
    let row = sqlx::query(&sql).bind(id).bind(person_id).fetch_optional(db.read()).await?;
    row.as_ref().map(from_row).ok_or_else(|| AppError::not_found("no such application"))
}

/// Open statuses; the bound value is the first, the others are constants of the code.
const OPEN_CONDITION: &str = "a.status IN (?, 'processing', 'info_requested')";

/// Inbox filters.
#[derive(Debug, Clone, Default)]
pub struct InboxQuery {
    /// A status code, or `open` (submitted, processing, info requested).
    pub status: Option<String>,
    pub procedure: Option<String>,
    /// Only open applications past their deadline.
    pub overdue: bool,
    /// Receipt code, or the start of the applicant's name (diacritics optional).
    pub q: Option<String>,
}

/// An officer's inbox, oldest submission first (the order they are due). `now` (UTC milliseconds)
/// decides what is overdue.
pub async fn inbox(
    db: &Db,
    user: &Actor,
    q: &InboxQuery,
    page: PageRequest,
    now: i64,
) -> Result<Page<Application>, AppError> {
    let mut f = Filter::new();
    officer_scope(user, &mut f)?;
    match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => {}
        Some("open") => {
            f.and(OPEN_CONDITION, Arg::Text(status::SUBMITTED.into()));
        }
        Some(s) if status::label(s).0 != "Không rõ" => {
            f.and("a.status = ?", Arg::Text(s.to_string()));
        }
        Some(s) => return Err(AppError::invalid(format!("status: unknown value {s:?}"))),
    }
    if let Some(p) = q.procedure.as_deref().filter(|s| !s.is_empty()) {
        f.and("a.procedure_code = ?", Arg::Text(p.to_string()));
    }
    if q.overdue {
        f.and("a.due_at < ?", Arg::Int(now));
        f.and("a.decided_at IS NULL AND a.status <> ?", Arg::Text(status::WITHDRAWN.into()));
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if text.contains('-') {
            f.and("a.receipt_code = ?", Arg::Text(text.to_uppercase()));
        } else {
            let folded = kernel::text::fold(text);
            f.and("a.applicant_name_folded >= ?", Arg::Text(folded.clone()));
            f.and("a.applicant_name_folded < ?", Arg::Text(format!("{folded}\u{10ffff}")));
        }
    }
    let rows = f
        .fetch_page(db.read(), &format!("SELECT {COLUMNS} FROM svc_applications a"), "a.submitted_at, a.id", page)
        .await?;
    Ok(Page::from_probe(rows.iter().map(from_row).collect(), page))
}

/// The applicant's own applications, newest first.
pub async fn mine(db: &Db, person_id: &str, page: PageRequest) -> Result<Page<Application>, AppError> {
    let mut f = Filter::new();
    f.and("a.applicant_person_id = ?", Arg::Text(person_id.to_string()));
    let rows = f
        .fetch_page(db.read(), &format!("SELECT {COLUMNS} FROM svc_applications a"), "a.created_at DESC, a.id", page)
        .await?;
    Ok(Page::from_probe(rows.iter().map(from_row).collect(), page))
}

/// The person id of a citizen caller.
pub fn citizen_person(user: &Actor) -> Result<&str, AppError> {
    user.citizen_person().ok_or_else(|| AppError::new(ErrorCode::Forbidden, "citizens only"))
}
