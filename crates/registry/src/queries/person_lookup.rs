//! A person's own record by personal id for callers that look up many people at once under load
//! (check-ins): on PostgreSQL the lookups of concurrent requests are coalesced into one query (see
//! [`db::coalesce`]); on SQLite each is a synchronous point read, which is cheaper than any
//! coalescing.

use db::coalesce::Coalescer;
use db::Db;
use kernel::{AppError, PersonalId};

use super::persons::{get_self, person_from_row, PersonView, PERSON_COLUMNS};

/// Personal ids fetched by one query at most.
const MAX_BATCH: usize = 128;

/// Looks up persons' own records, as [`get_self`] does. Cheap to clone.
#[derive(Clone)]
pub struct PersonLookup {
    db: Db,
    batched: Option<Coalescer<String, PersonView>>,
}

impl PersonLookup {
    /// Starts the coalescing task when `db` is PostgreSQL.
    pub fn start(db: &Db) -> PersonLookup {
        let batched = db.fast().is_none().then(|| {
            let select = format!("SELECT {PERSON_COLUMNS} FROM persons p WHERE p.personal_id");
            Coalescer::on_db(db, MAX_BATCH, select, |r| {
                let p = person_from_row(r)?;
                Ok((p.personal_id.clone(), p))
            })
        });
        PersonLookup { db: db.clone(), batched }
    }

    /// The person's own record, wherever they live.
    pub async fn get(&self, id: &PersonalId) -> Result<Option<PersonView>, AppError> {
        match &self.batched {
            Some(c) => c.get(id.to_string()).await,
            None => get_self(&self.db, id).await,
        }
    }
}
