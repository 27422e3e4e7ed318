//! Placeholders of multi-row `INSERT … VALUES (…), (…)` statements, which group-commit writers
//! and bulk loads use to store a whole batch in a few statements.

use crate::Backend;

/// The backend of a connection or transaction, for code that builds SQL inside a caller's
/// transaction without the [`crate::Db`] at hand.
pub fn backend_of(conn: &sqlx::AnyConnection) -> Backend {
    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    }
}

/// `(?, ?), (?, ?)` on SQLite, `($1, $2), ($3, $4)` on PostgreSQL, for `rows` rows of `cols`
/// values bound in row order. SQLite gets anonymous placeholders because binding numbered ones
/// costs a parameter-name lookup per value (`sqlite3_bind_parameter_name`), which showed up in
/// every profile of the batch writers. The statement must use no other placeholders before these.
pub fn values(backend: Backend, rows: usize, cols: usize) -> String {
    values_after(backend, 0, rows, cols)
}

/// [`values`] for a statement that binds `before` other values first, written with [`param`].
pub fn values_after(backend: Backend, before: usize, rows: usize, cols: usize) -> String {
    let mut sql = String::with_capacity(rows * cols * 4);
    let mut n = before;
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..cols {
            if c > 0 {
                sql.push(',');
            }
            n += 1;
            sql.push_str(&param(backend, n));
        }
        sql.push(')');
    }
    sql
}

/// The placeholder of the `n`th bound value (from 1): `?` on SQLite, `$n` on PostgreSQL. On
/// SQLite a statement must not mix it with numbered placeholders, since sqlx counts anonymous
/// ones apart from numbered ones.
pub fn param(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => "?".to_string(),
        Backend::Postgres => format!("${n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_rows_after_each_other_on_postgres() {
        assert_eq!(values(Backend::Postgres, 2, 3), "($1,$2,$3),($4,$5,$6)");
        assert_eq!(values(Backend::Postgres, 1, 1), "($1)");
    }

    #[test]
    fn continues_the_numbering_after_leading_values() {
        assert_eq!(values_after(Backend::Postgres, 2, 2, 1), "($3),($4)");
        assert_eq!(values_after(Backend::Sqlite, 2, 1, 2), "(?,?)");
        assert_eq!(param(Backend::Postgres, 7), "$7");
    }

    #[test]
    fn anonymous_on_sqlite() {
        assert_eq!(values(Backend::Sqlite, 2, 2), "(?,?),(?,?)");
    }
}
