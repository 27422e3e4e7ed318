//! Bulk loading of registry records: batched multi-row inserts in one transaction on SQLite,
//! `COPY … FROM STDIN` on PostgreSQL. Used by the demo, `dancu generate`, `dancu import` and
//! `dancu bench load`.

use chrono::NaiveDate;
use db::sqlx::{self, Connection};
use db::{Arg, Backend, Db};
use kernel::AppError;

use crate::model::{Batch, Card, CivilDeath, Household, Person, Residence};

/// One table's rows, in column order.
struct TableRows {
    name: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<Arg>>,
}

const HOUSEHOLD_COLUMNS: &[&str] = &["id", "head_id", "commune_code", "address", "created_at"];
const PERSON_COLUMNS: &[&str] = &[
    "personal_id",
    "full_name",
    "name_folded",
    "gender",
    "birth_date",
    "birth_year",
    "birth_place",
    "hometown",
    "ethnicity",
    "religion",
    "nationality",
    "old_id",
    "status",
    "death_date",
    "father_id",
    "mother_id",
    "spouse_id",
    "household_id",
    "relationship",
    "current_commune",
    "current_address",
    "created_at",
    "updated_at",
    "version",
];
const RESIDENCE_COLUMNS: &[&str] =
    &["id", "personal_id", "kind", "commune_code", "address", "start_date", "end_date", "expiry_date", "created_at"];
const CARD_COLUMNS: &[&str] =
    &["id", "personal_id", "kind", "issue_date", "expiry_date", "issuer", "status", "created_at"];
const DEATH_COLUMNS: &[&str] = &["personal_id", "death_date", "registered_at"];

fn date(d: NaiveDate) -> Arg {
    Arg::Text(d.format("%Y-%m-%d").to_string())
}

fn opt_date(d: Option<NaiveDate>) -> Arg {
    d.map(date).unwrap_or(Arg::Null)
}

fn household_row(h: &Household, now: i64) -> Vec<Arg> {
    vec![
        Arg::Text(h.id.clone()),
        Arg::Text(h.head_id.clone()),
        Arg::Text(h.commune_code.clone()),
        Arg::Text(h.address.clone()),
        Arg::Int(now),
    ]
}

/// The stored row of a person; the name is NFC-normalized and its folded search key derived here.
pub(crate) fn person_row(p: &Person, now: i64) -> Vec<Arg> {
    let name = kernel::text::normalize_name(&p.full_name);
    vec![
        Arg::Text(p.personal_id.clone()),
        Arg::Text(name.clone()),
        Arg::Text(kernel::text::fold(&name)),
        Arg::opt(p.gender.map(|g| g.code())),
        Arg::opt(p.birth_date.map(|d| d.to_storage())),
        p.birth_date.map(|d| Arg::Int(d.year_value() as i64)).unwrap_or(Arg::Null),
        Arg::opt(p.birth_place.clone()),
        Arg::opt(p.hometown.clone()),
        Arg::opt(p.ethnicity.clone()),
        Arg::opt(p.religion.clone()),
        Arg::Text(p.nationality.clone()),
        Arg::opt(p.old_id.clone()),
        Arg::Text(p.status.code().to_string()),
        Arg::opt(p.death_date.map(|d| d.to_storage())),
        Arg::opt(p.father_id.clone()),
        Arg::opt(p.mother_id.clone()),
        Arg::opt(p.spouse_id.clone()),
        Arg::opt(p.household_id.clone()),
        Arg::opt(p.relationship.clone()),
        Arg::opt(p.current_commune.clone()),
        Arg::opt(p.current_address.clone()),
        Arg::Int(now),
        Arg::Int(now),
        Arg::Int(1),
    ]
}

fn residence_row(r: &Residence, now: i64) -> Vec<Arg> {
    vec![
        Arg::Text(r.id.clone()),
        Arg::Text(r.personal_id.clone()),
        Arg::Text(r.kind.code().to_string()),
        Arg::Text(r.commune_code.clone()),
        Arg::Text(r.address.clone()),
        date(r.start_date),
        opt_date(r.end_date),
        opt_date(r.expiry_date),
        Arg::Int(now),
    ]
}

fn card_row(c: &Card, now: i64) -> Vec<Arg> {
    vec![
        Arg::Text(c.id.clone()),
        Arg::Text(c.personal_id.clone()),
        Arg::Text(c.kind.code().to_string()),
        date(c.issue_date),
        opt_date(c.expiry_date),
        Arg::Text(c.issuer.clone()),
        Arg::Text(c.status.code().to_string()),
        Arg::Int(now),
    ]
}

fn death_row(d: &CivilDeath, now: i64) -> Vec<Arg> {
    vec![Arg::Text(d.personal_id.clone()), date(d.death_date), Arg::Int(now)]
}

fn tables(batch: &Batch, now: i64) -> Vec<TableRows> {
    vec![
        TableRows {
            name: "households",
            columns: HOUSEHOLD_COLUMNS,
            rows: batch.households.iter().map(|h| household_row(h, now)).collect(),
        },
        TableRows {
            name: "persons",
            columns: PERSON_COLUMNS,
            rows: batch.persons.iter().map(|p| person_row(p, now)).collect(),
        },
        TableRows {
            name: "residences",
            columns: RESIDENCE_COLUMNS,
            rows: batch.residences.iter().map(|r| residence_row(r, now)).collect(),
        },
        TableRows {
            name: "identity_cards",
            columns: CARD_COLUMNS,
            rows: batch.cards.iter().map(|c| card_row(c, now)).collect(),
        },
        TableRows {
            name: "civil_deaths",
            columns: DEATH_COLUMNS,
            rows: batch.civil_deaths.iter().map(|d| death_row(d, now)).collect(),
        },
    ]
}

/// Writes a batch in one transaction. Either every row lands or none does. `now` (UTC
/// milliseconds, passed so tests can fix time) is the rows' creation time.
pub async fn write_batch(db: &Db, batch: &Batch, now: i64) -> Result<(), AppError> {
    let tables = tables(batch, now);
    match db.backend() {
        Backend::Sqlite => write_inserts(db, &tables).await,
        Backend::Postgres => write_postgres(db, &tables).await,
    }
    .map_err(|e| AppError::invalid(format!("batch rejected by the database: {e}")))
}

/// Parameters per multi-row statement. Both backends allow far more, but binding cost grows
/// faster than linearly with statement size; about 1,000 parameters is the measured sweet spot.
const MAX_PARAMS: usize = 8_000;

/// Inserts rows into one table with multi-row `INSERT`s in a single transaction (both backends).
pub(crate) async fn insert_rows(
    db: &Db,
    name: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<Arg>>,
) -> Result<(), AppError> {
    Ok(write_inserts(db, &[TableRows { name, columns, rows }]).await?)
}

async fn write_inserts(db: &Db, tables: &[TableRows]) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    for t in tables {
        // Keys are random; inserting in key order keeps B-tree pages hot.
        let mut order: Vec<&Vec<Arg>> = t.rows.iter().collect();
        order.sort_by(|a, b| key(a).cmp(key(b)));
        let per_stmt = (MAX_PARAMS / t.columns.len()).max(1);
        for chunk in order.chunks(per_stmt) {
            let sql = insert_sql(t.name, t.columns, chunk.len(), db.backend());
            let mut q = sqlx::query(&sql);
            for row in chunk {
                for v in row.iter() {
                    q = v.bind_to(q);
                }
            }
            q.execute(&mut *tx).await?;
        }
    }
    tx.commit().await
}

/// The sort key of a row (its first, text column): rows are inserted in key order.
fn key(row: &[Arg]) -> &str {
    match row.first() {
        Some(Arg::Text(s)) => s,
        _ => "",
    }
}

/// A multi-row `INSERT` (anonymous placeholders on SQLite, see [`db::values`]).
fn insert_sql(table: &str, columns: &[&str], rows: usize, backend: Backend) -> String {
    format!("INSERT INTO {table} ({}) VALUES {}", columns.join(", "), db::values(backend, rows, columns.len()))
}

async fn write_postgres(db: &Db, tables: &[TableRows]) -> Result<(), sqlx::Error> {
    let mut conn = sqlx::PgConnection::connect(db.url()).await?;
    let mut tx = conn.begin().await?;
    for t in tables {
        if t.rows.is_empty() {
            continue;
        }
        let mut copy = (*tx).copy_in_raw(&format!("COPY {} ({}) FROM STDIN", t.name, t.columns.join(", "))).await?;
        let mut buf = String::with_capacity(1 << 20);
        for row in &t.rows {
            copy_line(&mut buf, row);
            if buf.len() > (1 << 20) {
                copy.send(buf.as_bytes()).await?;
                buf.clear();
            }
        }
        copy.send(buf.as_bytes()).await?;
        copy.finish().await?;
    }
    tx.commit().await?;
    conn.close().await
}

/// One row in PostgreSQL's COPY text format.
fn copy_line(buf: &mut String, row: &[Arg]) {
    for (i, v) in row.iter().enumerate() {
        if i > 0 {
            buf.push('\t');
        }
        match v {
            Arg::Null => buf.push_str("\\N"),
            Arg::Int(n) => buf.push_str(&n.to_string()),
            Arg::Real(f) => buf.push_str(&f.to_string()),
            Arg::Text(s) => {
                for ch in s.chars() {
                    match ch {
                        '\\' => buf.push_str("\\\\"),
                        '\t' => buf.push_str("\\t"),
                        '\n' => buf.push_str("\\n"),
                        '\r' => buf.push_str("\\r"),
                        c => buf.push(c),
                    }
                }
            }
        }
    }
    buf.push('\n');
}

/// Tables whose secondary indexes are dropped during a bulk load.
const BULK_TABLES: [&str; 4] = ["households", "persons", "residences", "identity_cards"];

/// Secondary indexes dropped for a bulk load, to be rebuilt by [`restore_indexes`]. Building an
/// index once over sorted data is several times faster than maintaining it row by row.
#[derive(Debug, Default)]
pub struct DroppedIndexes(Vec<String>);

/// Drops the secondary (non-key) indexes of the registry tables. Use only on an empty or
/// offline registry, and always call [`restore_indexes`] afterwards.
pub async fn drop_secondary_indexes(db: &Db) -> Result<DroppedIndexes, AppError> {
    let list = BULK_TABLES.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(",");
    let sql = match db.backend() {
        Backend::Sqlite => format!(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({list})"
        ),
        Backend::Postgres => format!(
            "SELECT i.indexname::text, i.indexdef::text FROM pg_indexes i WHERE i.schemaname = current_schema() \
             AND i.tablename IN ({list}) AND i.indexname NOT IN \
             (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))"
        ),
    };
    let rows = sqlx::query(&sql).fetch_all(db.write()).await?;
    let mut dropped = Vec::new();
    for r in rows {
        let (name, def): (String, String) = (sqlx::Row::get(&r, 0), sqlx::Row::get(&r, 1));
        sqlx::query(&format!("DROP INDEX {name}")).execute(db.write()).await?;
        dropped.push(def);
    }
    Ok(DroppedIndexes(dropped))
}

/// Rebuilds indexes dropped by [`drop_secondary_indexes`].
pub async fn restore_indexes(db: &Db, dropped: DroppedIndexes) -> Result<(), AppError> {
    for def in dropped.0 {
        sqlx::query(&def).execute(db.write()).await?;
    }
    if db.backend() == Backend::Postgres {
        sqlx::query("ANALYZE").execute(db.write()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_escapes_control_characters() {
        let mut b = String::new();
        copy_line(&mut b, &[Arg::Text("a\tb\\c\nd".into()), Arg::Null, Arg::Int(7)]);
        assert_eq!(b, "a\\tb\\\\c\\nd\t\\N\t7\n");
    }

    #[test]
    fn insert_sql_numbers_every_placeholder() {
        assert_eq!(insert_sql("t", &["a", "b"], 2, Backend::Postgres), "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4)");
        assert_eq!(insert_sql("t", &["a"], 2, Backend::Sqlite), "INSERT INTO t (a) VALUES (?),(?)");
    }
}
