//! Multi-row `INSERT … VALUES (…), (…)` placeholders: the check-in writer stores a whole batch of
//! guests in a few statements instead of one statement per row.

/// `($1, …, $cols), ($cols+1, …), …` for `rows` rows.
pub fn values(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| {
            let marks: Vec<String> = (1..=cols).map(|c| format!("${}", r * cols + c)).collect();
            format!("({})", marks.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_rows_after_each_other() {
        assert_eq!(super::values(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(super::values(1, 1), "($1)");
    }
}
