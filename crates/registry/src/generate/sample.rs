//! Sampling helpers shared by the generator: weighted tables, coin flips and random dates.

use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;

/// The generator's random source: seedable, portable and fast, so output is reproducible.
pub(super) type GenRng = rand_chacha::ChaCha8Rng;

/// Items with weights, sampled by binary search over the cumulative weights.
#[derive(Debug, Clone)]
pub(super) struct Weighted<T> {
    /// Every item but the last, each with the cumulative weight up to and including it.
    items: Vec<T>,
    cumulative: Vec<f64>,
    /// The last item: drawn when the point passes every earlier item's bound.
    last: T,
    total: f64,
}

impl<T> Weighted<T> {
    /// Builds a table; items with a non-positive weight are dropped. Panics on an empty table,
    /// which would be a bug in a constant table.
    pub(super) fn new(pairs: impl IntoIterator<Item = (T, f64)>) -> Self {
        let mut items = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0.0;
        for (item, w) in pairs {
            if w > 0.0 {
                total += w;
                items.push(item);
                cumulative.push(total);
            }
        }
        cumulative.pop();
        let Some(last) = items.pop() else {
            panic!("a weighted table needs at least one positive weight");
        };
        Weighted { items, cumulative, last, total }
    }

    pub(super) fn sample(&self, rng: &mut GenRng) -> &T {
        let x = rng.gen::<f64>() * self.total;
        self.items.get(self.cumulative.partition_point(|&c| c <= x)).unwrap_or(&self.last)
    }
}

impl<T: Copy> Weighted<T> {
    /// A table from a constant slice of `(item, weight)` pairs.
    pub(super) fn from_slice(pairs: &[(T, f64)]) -> Self {
        Self::new(pairs.iter().copied())
    }
}

/// True with probability `p`.
pub(super) fn chance(rng: &mut GenRng, p: f64) -> bool {
    p > 0.0 && rng.gen::<f64>() < p
}

/// A uniform day in `[from, until)`; `from` when the range is empty.
pub(super) fn date_between(rng: &mut GenRng, from: NaiveDate, until: NaiveDate) -> NaiveDate {
    let days = (until - from).num_days();
    if days <= 1 {
        return from;
    }
    from + Duration::days(rng.gen_range(0..days))
}

/// The same calendar day `years` later (29 February becomes 1 March in a non-leap year).
pub(super) fn add_years(d: NaiveDate, years: i32) -> NaiveDate {
    let y = d.year() + years;
    NaiveDate::from_ymd_opt(y, d.month(), d.day())
        .or_else(|| NaiveDate::from_ymd_opt(y, 3, 1))
        // Only a year past the end of the calendar has no 1 March.
        .unwrap_or(NaiveDate::MAX)
}

/// `months` calendar months later, clamped to the end of shorter months.
pub(super) fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(months)).unwrap_or(d)
}

/// A birth date giving exactly `age` whole years on `on`.
pub(super) fn birth_for_age(rng: &mut GenRng, on: NaiveDate, age: i32) -> NaiveDate {
    let latest = add_years(on, -age);
    let earliest = add_years(on, -(age + 1)) + Duration::days(1);
    date_between(rng, earliest, latest + Duration::days(1))
}

/// A date written in the source, for constants: an impossible date fails the build.
pub(super) const fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(d) => d,
        None => panic!("not a calendar date"),
    }
}
