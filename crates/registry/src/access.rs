//! Officer reads of personal data: who may open a record (need to know), the purpose and case
//! they open it for, jurisdiction applied in the query, and every record returned written to the
//! access log with that purpose.
//!
//! Roles and what they may read:
//! - commune police, provincial officers and administrators: records of residents of their
//!   jurisdiction, for any of the [`RECORD_PURPOSES`];
//! - one-stop desk officers: only the applicant and the persons named in an application of their
//!   inbox, for the purpose `public_service` with that application's receipt code as the case
//!   reference (the services crate answers through [`CaseFiles`]: the registry cannot depend on it);
//! - leaders, the working group, unit focal points: aggregate figures only, no record;
//! - citizens and organization staff: their own data through their own pages, never these reads.

use std::sync::Arc;

use audit::{AccessEntry, Purpose, Stores};
use futures::future::BoxFuture;
use kernel::{Actor, Role};
use kernel::{AppError, ErrorCode, Page, PageRequest, PersonalId};

use crate::history::{self, PersonEvent};
use crate::queries::cards::{self, CardView};
use crate::queries::households::{self, HouseholdView};
use crate::queries::persons::{self, PersonSummary, PersonView, SearchQuery};
use crate::queries::residences::{self, ResidenceView};

/// Purpose assumed when a search names none (the result list identifies people, it opens no
/// record).
pub const DEFAULT_PURPOSE: &str = "administration";

/// The purposes an officer may open a record for (codes of `audit::PURPOSES`); the others belong
/// to other channels (lodging, organizations' verification, sign-in, healthcare).
/// `identity_verification` is the police officer checking a person's card at the desk, as when
/// raising an e-ID account's level (`/officer/eid`).
pub const RECORD_PURPOSES: &[&str] =
    &["administration", "investigation", "public_service", "data_cleaning", "identity_verification"];

/// Roles that read the registry within their jurisdiction.
pub const JURISDICTION_READERS: &[Role] = &[Role::Admin, Role::ProvincialOfficer, Role::CommunePolice];

/// Longest case reference kept (a receipt code or a case file number).
const CASE_REF_MAX: usize = 64;

/// Answers whether a one-stop desk officer's application names a person. Implemented by the
/// services crate (which owns applications) and handed to the registry's routers by the binary.
pub trait CaseFiles: Send + Sync {
    /// True when `case_ref` (receipt code) is an application of the officer's inbox whose
    /// applicant, or a person named in its answers, is `personal_id`.
    fn names_person<'a>(
        &'a self,
        officer: &'a Actor,
        case_ref: &'a str,
        personal_id: &'a str,
    ) -> BoxFuture<'a, Result<bool, AppError>>;
}

/// Why a record is opened: a purpose of [`RECORD_PURPOSES`] and, when the purpose needs one, the
/// case reference. This is what the access log keeps.
#[derive(Debug, Clone)]
pub struct Reason {
    purpose: &'static Purpose,
    case_ref: Option<String>,
}

impl Reason {
    /// The reason stated for opening a record: the purpose is required, and so is the case
    /// reference when the purpose names a case. Refusals say which is missing in both languages.
    pub fn stated(purpose: Option<&str>, case_ref: Option<&str>) -> Result<Reason, AppError> {
        let code = purpose.map(str::trim).filter(|p| !p.is_empty()).ok_or_else(|| {
            AppError::invalid("purpose is required to open a record (see GET /api/v1/purposes)").with_message(
                "Cần chọn mục đích truy cập trước khi mở hồ sơ công dân.",
                "State the purpose before opening a citizen's record.",
            )
        })?;
        let purpose = record_purpose(code)?;
        let case_ref = case_ref.map(str::trim).filter(|c| !c.is_empty());
        let case_ref = match (purpose.needs_case_ref, case_ref) {
            (true, None) => {
                return Err(AppError::invalid(format!("purpose {code:?} needs case_ref")).with_message(
                    "Mục đích này cần số hồ sơ vụ việc hoặc mã hồ sơ thủ tục.",
                    "This purpose needs the case file number or the application's receipt code.",
                ))
            }
            (true, Some(c)) => Some(check_case_ref(c)?),
            // A reference given for a purpose that names no case is not kept: it means nothing.
            (false, _) => None,
        };
        Ok(Reason { purpose, case_ref })
    }

    /// The purpose of a search (optional, [`DEFAULT_PURPOSE`] when absent).
    fn listing(purpose: Option<&str>) -> Result<Reason, AppError> {
        let code = purpose.map(str::trim).filter(|p| !p.is_empty()).unwrap_or(DEFAULT_PURPOSE);
        Ok(Reason { purpose: record_purpose(code)?, case_ref: None })
    }

    pub fn purpose(&self) -> &'static Purpose {
        self.purpose
    }

    pub fn case_ref(&self) -> Option<&str> {
        self.case_ref.as_deref()
    }
}

fn record_purpose(code: &str) -> Result<&'static Purpose, AppError> {
    Purpose::find(code).filter(|p| RECORD_PURPOSES.contains(&p.code)).ok_or_else(|| {
        AppError::invalid(format!("unknown purpose {code:?}; see the purposes list in the API docs"))
            .with_message("Mục đích truy cập không hợp lệ.", "Unknown purpose of access.")
    })
}

fn check_case_ref(c: &str) -> Result<String, AppError> {
    let ok = c.chars().count() <= CASE_REF_MAX && c.chars().all(|ch| ch.is_alphanumeric() || "-_/.:".contains(ch));
    if !ok {
        return Err(AppError::invalid("case_ref: at most 64 letters, digits and - _ / . :").with_message(
            "Số hồ sơ chỉ gồm chữ, số và các dấu - _ / . : (tối đa 64 ký tự).",
            "The case reference holds letters, digits and - _ / . : only (at most 64 characters).",
        ));
    }
    Ok(c.to_string())
}

/// The refusal of a role that sees aggregate figures only.
fn aggregates_only(user: &Actor) -> AppError {
    AppError::forbidden(format!("role {} reads aggregate figures only, not individual records", user.role.code()))
        .with_message(
            "Vai trò của bạn chỉ được xem số liệu tổng hợp, không được mở hồ sơ của từng công dân.",
            "Your role sees aggregate figures only, not individual citizens' records.",
        )
}

/// Refuses, before anything is read, a caller whose role does not list residents (search,
/// quality findings): only the jurisdiction readers do.
pub fn may_search(user: &Actor) -> Result<(), AppError> {
    if JURISDICTION_READERS.contains(&user.role) {
        Ok(())
    } else {
        Err(aggregates_only(user))
    }
}

/// Refuses, before anything is read, a caller whose role never opens a person's record.
pub fn may_open_records(user: &Actor) -> Result<(), AppError> {
    match user.role {
        r if JURISDICTION_READERS.contains(&r) => Ok(()),
        Role::DeskOfficer => Ok(()),
        _ => Err(aggregates_only(user)),
    }
}

/// The purposes this caller may open a record for, in the platform's order (desk officers:
/// `public_service` only).
pub fn record_purposes_for(user: &Actor) -> Vec<&'static Purpose> {
    audit::PURPOSES
        .iter()
        .filter(|p| RECORD_PURPOSES.contains(&p.code))
        .filter(|p| user.role != Role::DeskOfficer || p.code == "public_service")
        .collect()
}

/// What lets this caller read a record.
#[derive(Clone)]
enum Grant {
    /// Residents of the caller's jurisdiction.
    Jurisdiction,
    /// The persons of one application in a desk officer's inbox.
    Case(Arc<dyn CaseFiles>),
}

/// A signed-in officer reading the registry for a stated purpose through one channel.
pub struct OfficerReads<'a> {
    stores: &'a Stores,
    user: &'a Actor,
    reason: Reason,
    grant: Grant,
    channel: &'static str,
    now: i64,
}

impl<'a> OfficerReads<'a> {
    /// Reads by a jurisdiction reader (police, provincial officers, administrators) for a purpose
    /// code (default [`DEFAULT_PURPOSE`]): searches, quality findings, the e-ID level page. `now`
    /// is UTC milliseconds, the time of the reads (logged, and the day cards and residences are
    /// judged on), passed so tests can fix time.
    pub fn new(
        stores: &'a Stores,
        user: &'a Actor,
        purpose: Option<&str>,
        channel: &'static str,
        now: i64,
    ) -> Result<Self, AppError> {
        may_search(user)?;
        Ok(Self { stores, user, reason: Reason::listing(purpose)?, grant: Grant::Jurisdiction, channel, now })
    }

    /// Opening records for a stated [`Reason`]: jurisdiction readers within their jurisdiction,
    /// desk officers the persons of the application named as the case (purpose `public_service`),
    /// everyone else refused.
    pub fn record(
        stores: &'a Stores,
        user: &'a Actor,
        reason: Reason,
        cases: Arc<dyn CaseFiles>,
        channel: &'static str,
        now: i64,
    ) -> Result<Self, AppError> {
        may_open_records(user)?;
        let grant = match user.role {
            r if JURISDICTION_READERS.contains(&r) => Grant::Jurisdiction,
            Role::DeskOfficer if reason.purpose.code == "public_service" => Grant::Case(cases),
            Role::DeskOfficer => {
                return Err(AppError::forbidden("desk officers open records for purpose public_service only")
                    .with_message(
                        "Cán bộ một cửa chỉ mở hồ sơ công dân để giải quyết thủ tục hành chính, kèm mã hồ sơ thủ tục.",
                        "Desk officers open a citizen's record only to handle a public-service application, with its receipt code.",
                    ))
            }
            _ => return Err(aggregates_only(user)),
        };
        Ok(Self { stores, user, reason, grant, channel, now })
    }

    /// Lists of residents (search, quality findings) are for jurisdiction readers.
    fn listing_allowed(&self) -> Result<(), AppError> {
        match self.grant {
            Grant::Jurisdiction => Ok(()),
            Grant::Case(_) => Err(aggregates_only(self.user)),
        }
    }

    /// Whether the record is opened through a desk officer's application (no household view).
    pub fn through_case(&self) -> bool {
        matches!(self.grant, Grant::Case(_))
    }

    pub fn reason(&self) -> &Reason {
        &self.reason
    }

    fn entry(&self, subject: &str, action: &str, released: &str) -> AccessEntry {
        AccessEntry {
            at: self.now,
            actor_id: self.user.account_id.clone(),
            actor_label: self.user.actor_label(),
            subject_id: subject.to_string(),
            action: action.to_string(),
            purpose: self.reason.purpose.code.to_string(),
            released: released.to_string(),
            channel: self.channel.to_string(),
        }
    }

    /// Logs one read; returns once the entry is durable, before the data is released.
    async fn log(&self, subject: &str, action: &str, released: &str) -> Result<(), AppError> {
        self.log_all(std::iter::once(subject), action, released).await
    }

    /// Logs the reads of several records with one wait.
    async fn log_all<'s>(
        &self,
        subjects: impl Iterator<Item = &'s str>,
        action: &str,
        released: &str,
    ) -> Result<(), AppError> {
        let entries = subjects.map(|s| self.entry(s, action, released)).collect();
        self.stores.access_log.record_for_case(entries, self.reason.case_ref.clone()).await
    }

    /// The day in Vietnam at `now`.
    fn today(&self) -> chrono::NaiveDate {
        kernel::clock::ms_to_vn(self.now).date_naive()
    }

    fn parse_id(id: &str) -> Result<PersonalId, AppError> {
        PersonalId::parse(id)
    }

    /// The person if this caller may open their record: in the jurisdiction, or named in the
    /// desk officer's application (anything else is refused before any read).
    async fn open(&self, id: &PersonalId) -> Result<PersonView, AppError> {
        let found = match &self.grant {
            Grant::Jurisdiction => persons::get(&self.stores.db, id, &self.user.jurisdiction).await?,
            Grant::Case(cases) => {
                let case = self.reason.case_ref.as_deref().unwrap_or_default();
                if !cases.names_person(self.user, case, id.as_str()).await? {
                    return Err(AppError::forbidden("the person is not named in this application of your inbox")
                        .with_message(
                            "Công dân này không có tên trong hồ sơ thủ tục bạn đang giải quyết.",
                            "This citizen is not named in the application you are handling.",
                        ));
                }
                persons::get_self(&self.stores.db, id).await?
            }
        };
        found.ok_or_else(|| AppError::new(ErrorCode::NotFound, "no person with this id in your jurisdiction"))
    }

    /// A person's full record.
    pub async fn person(&self, id: &str) -> Result<PersonView, AppError> {
        let id = Self::parse_id(id)?;
        let p = self.open(&id).await?;
        self.log(id.as_str(), "person.read", "full_record").await?;
        Ok(p)
    }

    /// Search results (names, birth dates, communes) are personal data too: each hit is logged.
    pub async fn search(&self, q: &SearchQuery, page: PageRequest) -> Result<Page<PersonSummary>, AppError> {
        self.listing_allowed()?;
        let result = persons::search(&self.stores.db, q, &self.user.jurisdiction, page).await?;
        let hits = result.items.iter().map(|h| h.personal_id.as_str());
        self.log_all(hits, "person.search", "full_name,gender,birth_date,status,commune").await?;
        Ok(result)
    }

    /// A household with the members inside the jurisdiction (jurisdiction readers only: an
    /// application names persons, not households).
    pub async fn household(&self, id: &str) -> Result<HouseholdView, AppError> {
        if self.through_case() {
            return Err(AppError::forbidden("households are read by jurisdiction readers only").with_message(
                "Cán bộ một cửa không xem hộ gia đình; chỉ xem công dân có tên trong hồ sơ thủ tục.",
                "Desk officers do not view households, only the citizens named in an application.",
            ));
        }
        let h = households::get(&self.stores.db, id, &self.user.jurisdiction)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::NotFound, "no household with this id in your jurisdiction"))?;
        let members = h.members.iter().map(|m| m.personal_id.as_str());
        self.log_all(members, "household.read", "full_name,gender,birth_date,relationship,status").await?;
        Ok(h)
    }

    /// Checks the person is in scope before reading a sub-resource.
    async fn in_scope(&self, id: &str) -> Result<PersonalId, AppError> {
        let id = Self::parse_id(id)?;
        self.open(&id).await?;
        Ok(id)
    }

    pub async fn residences(&self, id: &str) -> Result<Vec<ResidenceView>, AppError> {
        let id = self.in_scope(id).await?;
        let r = residences::history(&self.stores.db, id.as_str(), self.today()).await?;
        self.log(id.as_str(), "residence.read", "residence_history").await?;
        Ok(r)
    }

    pub async fn cards(&self, id: &str) -> Result<Vec<CardView>, AppError> {
        let id = self.in_scope(id).await?;
        let c = cards::of_person(&self.stores.db, id.as_str(), self.today()).await?;
        self.log(id.as_str(), "card.read", "identity_cards").await?;
        Ok(c)
    }

    pub async fn history(&self, id: &str) -> Result<Vec<PersonEvent>, AppError> {
        let id = self.in_scope(id).await?;
        let h = history::list(&self.stores.db, id.as_str()).await?;
        self.log(id.as_str(), "history.read", "change_history").await?;
        Ok(h)
    }

    /// The record as it stood at the end of `date` (Vietnam time).
    pub async fn person_as_of(&self, id: &str, date: chrono::NaiveDate) -> Result<PersonView, AppError> {
        let current = self.person(id).await?;
        let events = history::list(&self.stores.db, &current.personal_id).await?;
        let end_of_day = date
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|d| d.and_local_timezone(kernel::clock::vietnam_offset()).single())
            .map(|d| d.timestamp_millis())
            .ok_or_else(|| AppError::new(ErrorCode::InvalidDate, "date out of range"))?;
        Ok(history::as_of(current, &events, end_of_day - 1))
    }

    /// Offending records of a quality rule (names are personal data: each row is logged).
    pub async fn quality_findings(
        &self,
        rule: &str,
        commune: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<crate::quality::Finding>, AppError> {
        self.listing_allowed()?;
        let found = crate::quality::findings(&self.stores.db, &self.user.jurisdiction, rule, commune, page).await?;
        let rows = found.items.iter().map(|f| f.personal_id.as_str());
        self.log_all(rows, "quality.read", "full_name,finding").await?;
        Ok(found)
    }
}
