//! A guest's lodging history: their own (citizen account) or, for the police, a person's stays in
//! the officer's area with a stated purpose. Every police read is access-logged by the caller.

use db::{Arg, Db, Filter};
use kernel::Jurisdiction;
use kernel::{AppError, Page, PageRequest, PersonalId};

use crate::stays::Stay;

/// Who a history is about.
pub enum Subject {
    Citizen(String),
    Passport { nationality: String, number: String },
}

impl Subject {
    /// A personal id, or a passport number with nationality, validated.
    pub fn parse(
        personal_id: Option<&str>,
        passport: Option<&str>,
        nationality: Option<&str>,
    ) -> Result<Self, AppError> {
        match (personal_id, passport) {
            (Some(id), None) => Ok(Subject::Citizen(PersonalId::parse(id)?.as_str().to_string())),
            (None, Some(number)) => {
                let (number, nationality) = crate::guests::passport_identity(number, nationality.unwrap_or(""))?;
                Ok(Subject::Passport { nationality, number })
            }
            _ => Err(AppError::invalid("give personal_id, or passport_number with nationality")),
        }
    }

    /// The access-log subject.
    pub fn key(&self) -> String {
        match self {
            Subject::Citizen(id) => id.clone(),
            Subject::Passport { nationality, number } => crate::watchlist::passport_key(nationality, number),
        }
    }
}

/// Stays of `subject`, newest first; `area` limits them to a police jurisdiction (facilities of the
/// commune or province), `None` is the guest's own view. `now` (UTC milliseconds) is when they
/// are read.
pub async fn stays(
    db: &Db,
    subject: &Subject,
    area: Option<&Jurisdiction>,
    page: PageRequest,
    now: i64,
) -> Result<Page<Stay>, AppError> {
    let mut f = Filter::new();
    match subject {
        Subject::Citizen(id) => {
            f.and("c.personal_id = ?", Arg::Text(id.clone()));
        }
        Subject::Passport { nationality, number } => {
            f.and("c.passport_number = ?", Arg::Text(number.clone()))
                .and("c.nationality = ?", Arg::Text(nationality.clone()));
        }
    }
    if let Some(j) = area {
        crate::scope::restrict(&mut f, j, "f", false);
    }
    crate::stays::page(db, f, page, now).await
}
