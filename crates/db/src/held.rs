//! A connection that a busy background task keeps between units of work. sqlx tests every
//! connection given back to its pool with a round trip to the server, so on PostgreSQL a task
//! that takes a pool connection for each of thousands of statements a second doubles its round
//! trips. A [`Held`] connection is taken once and kept; on SQLite, whose single writer connection
//! other tasks share, it goes back to the pool after every unit.

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool};

use crate::{Backend, Db};

/// A connection of `pool`, kept between units on PostgreSQL.
pub struct Held {
    pool: AnyPool,
    keep: bool,
    conn: Option<PoolConnection<Any>>,
}

impl Held {
    /// A handle on `pool` (one of `db`'s pools); no connection is taken yet.
    pub fn new(db: &Db, pool: &AnyPool) -> Held {
        Held { pool: pool.clone(), keep: db.backend() == Backend::Postgres, conn: None }
    }

    /// The connection, taken from the pool if this handle has none.
    pub async fn conn(&mut self) -> Result<&mut PoolConnection<Any>, sqlx::Error> {
        let conn = match self.conn.take() {
            Some(c) => c,
            None => self.pool.acquire().await?,
        };
        Ok(self.conn.insert(conn))
    }

    /// Ends a unit of work. After an error the connection always goes back to the pool, which
    /// tests it and rolls back what the failed unit left open; otherwise it is kept when the
    /// backend allows.
    pub fn done(&mut self, ok: bool) {
        if !(ok && self.keep) {
            self.conn = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    /// PostgreSQL keeps the connection between units; SQLite gives its one writer back, so other
    /// writers go on. After an error the connection goes back and the open transaction is rolled
    /// back.
    async fn keeps_between_units(db: Db) {
        sqlx::query("CREATE TABLE held_test (n INTEGER)").execute(db.write()).await.unwrap();
        let mut held = Held::new(&db, db.write());
        for n in 0..2 {
            let mut tx = held.conn().await.unwrap().begin().await.unwrap();
            sqlx::query("INSERT INTO held_test (n) VALUES ($1)").bind(n).execute(&mut *tx).await.unwrap();
            tx.commit().await.unwrap();
            held.done(true);
            assert_eq!(held.conn.is_some(), db.backend() == Backend::Postgres, "after unit {n}");
            sqlx::query("INSERT INTO held_test (n) VALUES ($1)").bind(10 + n).execute(db.write()).await.unwrap();
        }
        let mut tx = held.conn().await.unwrap().begin().await.unwrap();
        sqlx::query("INSERT INTO held_test (n) VALUES (99)").execute(&mut *tx).await.unwrap();
        assert!(sqlx::query("INSERT INTO no_such_table VALUES (1)").execute(&mut *tx).await.is_err());
        drop(tx);
        held.done(false);
        assert!(held.conn.is_none(), "a failed unit gives the connection back");
        let rows: Vec<i64> =
            sqlx::query_scalar("SELECT n FROM held_test ORDER BY n").fetch_all(db.write()).await.unwrap();
        assert_eq!(rows, vec![0, 1, 10, 11], "the failed unit wrote nothing");
    }

    crate::dual_tests!(crate::MigrationSet::new(); keeps_between_units);
}
