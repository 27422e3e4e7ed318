//! A person's own record by personal id for callers that look up many people at once under load
//! (check-ins, verifications): on PostgreSQL the lookups of concurrent requests are coalesced into
//! one query (see [`db::coalesce`]); on SQLite each is a synchronous point read, which is cheaper
//! than any coalescing.

use std::collections::HashMap;

use db::coalesce::{self, Coalescer};
use db::Db;
use kernel::{AppError, PersonalId};

use super::persons::{get_self, person_from_row, PersonView, PERSON_COLUMNS};

/// Personal ids fetched by one query at most.
const MAX_BATCH: usize = 128;
/// Queries running at once; the rest of the pool serves the requests' other statements.
const IN_FLIGHT: usize = 2;

/// Looks up persons' own records, as [`get_self`] does. Cheap to clone.
#[derive(Clone)]
pub struct PersonLookup {
    db: Db,
    batched: Option<Coalescer<String, PersonView>>,
}

impl PersonLookup {
    /// Starts the coalescing task when `db` is PostgreSQL.
    pub fn start(db: Db) -> PersonLookup {
        let batched = db.fast().is_none().then(|| {
            let db = db.clone();
            Coalescer::start(MAX_BATCH, IN_FLIGHT, move |ids| {
                let db = db.clone();
                async move { get_many(&db, &ids).await }
            })
        });
        PersonLookup { db, batched }
    }

    /// The person's own record, wherever they live.
    pub async fn get(&self, id: &PersonalId) -> Result<Option<PersonView>, AppError> {
        match &self.batched {
            Some(c) => c.get(id.to_string()).await,
            None => get_self(&self.db, id).await,
        }
    }
}

/// The records of `ids` found in the registry, by personal id; one query.
pub async fn get_many(db: &Db, ids: &[String]) -> Result<HashMap<String, PersonView>, AppError> {
    let select = format!("SELECT {PERSON_COLUMNS} FROM persons p");
    let rows = coalesce::fetch_in(db, &select, "p.personal_id", ids).await?;
    Ok(rows.iter().map(person_from_row).map(|p| (p.personal_id.clone(), p)).collect())
}
