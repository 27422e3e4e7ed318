//! Officer reads of personal data: jurisdiction applied in the query, and every record returned
//! written to the access log with the caller's purpose.

use audit::{AccessEntry, Purpose, Stores};
use kernel::Actor;
use kernel::{AppError, ErrorCode, Page, PageRequest, PersonalId};

use crate::history::{self, PersonEvent};
use crate::queries::cards::{self, CardView};
use crate::queries::households::{self, HouseholdView};
use crate::queries::persons::{self, PersonSummary, PersonView, SearchQuery};
use crate::queries::residences::{self, ResidenceView};

/// Purpose assumed when a caller names none.
pub const DEFAULT_PURPOSE: &str = "administration";

/// A signed-in officer reading the registry for a stated purpose through one channel.
pub struct OfficerReads<'a> {
    stores: &'a Stores,
    user: &'a Actor,
    purpose: &'static Purpose,
    channel: &'static str,
    now: i64,
}

impl<'a> OfficerReads<'a> {
    /// Validates the purpose code (default [`DEFAULT_PURPOSE`]). `now` is UTC milliseconds, the
    /// time of the reads (logged, and the day cards and residences are judged on), passed so tests
    /// can fix time.
    pub fn new(
        stores: &'a Stores,
        user: &'a Actor,
        purpose: Option<&str>,
        channel: &'static str,
        now: i64,
    ) -> Result<Self, AppError> {
        let code = purpose.filter(|p| !p.is_empty()).unwrap_or(DEFAULT_PURPOSE);
        let purpose = Purpose::find(code).ok_or_else(|| {
            AppError::invalid(format!("unknown purpose {code:?}; see the purposes list in the API docs"))
        })?;
        Ok(Self { stores, user, purpose, channel, now })
    }

    fn entry(&self, subject: &str, action: &str, released: &str) -> AccessEntry {
        AccessEntry {
            at: self.now,
            actor_id: self.user.account_id.clone(),
            actor_label: self.user.actor_label(),
            subject_id: subject.to_string(),
            action: action.to_string(),
            purpose: self.purpose.code.to_string(),
            released: released.to_string(),
            channel: self.channel.to_string(),
        }
    }

    /// Logs one read; returns once the entry is durable, before the data is released.
    async fn log(&self, subject: &str, action: &str, released: &str) -> Result<(), AppError> {
        self.stores.access_log.record(self.entry(subject, action, released)).await
    }

    /// Logs the reads of several records with one wait.
    async fn log_all<'s>(
        &self,
        subjects: impl Iterator<Item = &'s str>,
        action: &str,
        released: &str,
    ) -> Result<(), AppError> {
        self.stores.access_log.record_all(subjects.map(|s| self.entry(s, action, released)).collect()).await
    }

    /// The day in Vietnam at `now`.
    fn today(&self) -> chrono::NaiveDate {
        kernel::clock::ms_to_vn(self.now).date_naive()
    }

    fn parse_id(id: &str) -> Result<PersonalId, AppError> {
        PersonalId::parse(id)
    }

    /// A person's full record.
    pub async fn person(&self, id: &str) -> Result<PersonView, AppError> {
        let id = Self::parse_id(id)?;
        let p = persons::get(&self.stores.db, &id, &self.user.jurisdiction)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::NotFound, "no person with this id in your jurisdiction"))?;
        self.log(id.as_str(), "person.read", "full_record").await?;
        Ok(p)
    }

    /// Search results (names, birth dates, communes) are personal data too: each hit is logged.
    pub async fn search(&self, q: &SearchQuery, page: PageRequest) -> Result<Page<PersonSummary>, AppError> {
        let result = persons::search(&self.stores.db, q, &self.user.jurisdiction, page).await?;
        let hits = result.items.iter().map(|h| h.personal_id.as_str());
        self.log_all(hits, "person.search", "full_name,gender,birth_date,status,commune").await?;
        Ok(result)
    }

    /// A household with the members inside the jurisdiction.
    pub async fn household(&self, id: &str) -> Result<HouseholdView, AppError> {
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
        persons::get(&self.stores.db, &id, &self.user.jurisdiction)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::NotFound, "no person with this id in your jurisdiction"))?;
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
        let found = crate::quality::findings(&self.stores.db, &self.user.jurisdiction, rule, commune, page).await?;
        let rows = found.items.iter().map(|f| f.personal_id.as_str());
        self.log_all(rows, "quality.read", "full_name,finding").await?;
        Ok(found)
    }
}
