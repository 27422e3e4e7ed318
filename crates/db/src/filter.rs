//! Building a `WHERE` clause from optional conditions while keeping every value a bound parameter.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;

/// A bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Null,
    Text(String),
    Int(i64),
    Real(f64),
}

impl Arg {
    /// Text or NULL.
    pub fn opt(s: Option<impl Into<String>>) -> Arg {
        s.map(|s| Arg::Text(s.into())).unwrap_or(Arg::Null)
    }

    /// Binds this value to a query.
    pub fn bind_to<'q>(&self, q: Query<'q, Any, AnyArguments<'q>>) -> Query<'q, Any, AnyArguments<'q>> {
        match self {
            Arg::Null => q.bind(None::<String>),
            Arg::Text(s) => q.bind(s.clone()),
            Arg::Int(i) => q.bind(*i),
            Arg::Real(f) => q.bind(*f),
        }
    }
}

/// Conditions joined by `AND`, each with one placeholder written as `?` in the condition text and
/// numbered (`$1`, `$2`, …) in the order added.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    conds: Vec<String>,
    args: Vec<Arg>,
}

impl Filter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a condition such as `p.birth_year = ?`.
    pub fn and(&mut self, cond: &str, arg: Arg) -> &mut Self {
        let n = self.args.len() + 1;
        self.conds.push(cond.replacen('?', &format!("${n}"), 1));
        self.args.push(arg);
        self
    }

    /// Number of the next placeholder (for `LIMIT`/`OFFSET` after the conditions).
    pub fn next_placeholder(&self) -> usize {
        self.args.len() + 1
    }

    /// The bound values, in placeholder order.
    pub fn args(&self) -> &[Arg] {
        &self.args
    }

    /// The conditions joined with `AND` (`1=1` when empty).
    pub fn sql(&self) -> String {
        if self.conds.is_empty() {
            "1=1".to_string()
        } else {
            self.conds.join(" AND ")
        }
    }

    /// Runs `SELECT … WHERE <conditions> ORDER BY <order_by>` for one page, fetching one extra row
    /// so the caller can tell whether a next page exists (see `kernel::Page::from_probe`).
    pub async fn fetch_page(
        &self,
        pool: &sqlx::AnyPool,
        select: &str,
        order_by: &str,
        page: kernel::PageRequest,
    ) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
        let n = self.next_placeholder();
        let sql = format!("{select} WHERE {} ORDER BY {order_by} LIMIT ${n} OFFSET ${}", self.sql(), n + 1);
        self.bind(sqlx::query(&sql)).bind(page.limit_probe()).bind(page.offset()).fetch_all(pool).await
    }

    /// Binds the condition values, in order, to a query built from [`Filter::sql`].
    pub fn bind<'q>(&self, mut q: Query<'q, Any, AnyArguments<'q>>) -> Query<'q, Any, AnyArguments<'q>> {
        for a in &self.args {
            q = a.bind_to(q);
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_placeholders_in_order() {
        let mut f = Filter::new();
        assert_eq!(f.sql(), "1=1");
        f.and("a = ?", Arg::Int(1)).and("b IN (SELECT x FROM t WHERE y = ?)", Arg::Text("z".into()));
        assert_eq!(f.sql(), "a = $1 AND b IN (SELECT x FROM t WHERE y = $2)");
        assert_eq!(f.next_placeholder(), 3);
    }
}
