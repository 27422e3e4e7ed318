//! Horizontal bar charts and the age-sex pyramid.

use kernel::Lang;

use super::{count_columns, esc, format_number, legend, open, value, value_at, PALETTE, WIDTH};
use crate::figures::Figure;

/// Rows drawn at most; the table holds all of them.
const MAX_ROWS: usize = 20;
const LABEL_W: f64 = 190.0;
const BAR_H: f64 = 14.0;

/// Grouped horizontal bars of the count columns, largest rows first when there are many.
pub(super) fn bars(f: &Figure, lang: Lang, min_cell: i64) -> String {
    let cols = count_columns(f, 3);
    let mut rows: Vec<&crate::figures::Row> = f.rows.iter().collect();
    if rows.len() > MAX_ROWS {
        if let Some(&first) = cols.first() {
            let size = |r: &crate::figures::Row| value_at(r, first).unwrap_or(0.0);
            rows.sort_by(|a, b| size(b).total_cmp(&size(a)));
        }
        rows.truncate(MAX_ROWS);
    }
    let max =
        rows.iter().flat_map(|r| cols.iter().map(|&i| value_at(r, i).unwrap_or(0.0))).fold(0.0, f64::max).max(1.0);
    let group_h = BAR_H * cols.len() as f64 + 8.0;
    let height = 30.0 + group_h * rows.len() as f64;
    let plot_w = WIDTH - LABEL_W - 90.0;
    let mut out = open(height, lang.pick(&f.title.vi, &f.title.en));
    out.push_str(&legend(f, &cols, lang, 16.0));
    for (n, r) in rows.iter().enumerate() {
        let y0 = 28.0 + group_h * n as f64;
        out.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            LABEL_W - 6.0,
            y0 + group_h / 2.0,
            esc(&truncate(lang.pick(&r.label.vi, &r.label.en), 28))
        ));
        for ((s, &i), colour) in cols.iter().enumerate().zip(PALETTE.iter().cycle()) {
            let Some(c) = r.cells.get(i) else {
                continue;
            };
            let y = y0 + BAR_H * s as f64;
            let w = value(c) / max * plot_w;
            out.push_str(&format!(
                "<rect x=\"{LABEL_W}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"{colour}\"><title>{}</title></rect>",
                BAR_H - 2.0,
                esc(&cell_text(c, lang, min_cell))
            ));
            out.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{}\" fill=\"#444\">{}</text>",
                LABEL_W + w + 4.0,
                y + BAR_H - 4.0,
                esc(&cell_text(c, lang, min_cell))
            ));
        }
    }
    out.push_str("</svg>");
    out
}

/// First column to the left of the axis, second to the right; youngest band at the bottom.
pub(super) fn pyramid(f: &Figure, lang: Lang, min_cell: i64) -> String {
    let rows: Vec<&crate::figures::Row> =
        f.rows.iter().filter(|r| r.key.parse::<u32>().is_ok_and(|b| b <= 20)).collect();
    let max = rows.iter().flat_map(|r| r.cells.iter().take(2).map(value)).fold(0.0, f64::max).max(1.0);
    let height = 36.0 + BAR_H * rows.len() as f64 + 10.0;
    let mid = WIDTH / 2.0;
    let half = mid - 60.0;
    let mut out = open(height, lang.pick(&f.title.vi, &f.title.en));
    out.push_str(&legend(f, &[0, 1], lang, 16.0));
    for (n, r) in rows.iter().rev().enumerate() {
        let y = 28.0 + BAR_H * n as f64;
        for ((side, c), colour) in r.cells.iter().take(2).enumerate().zip(PALETTE) {
            let w = value(c) / max * (half - 30.0);
            let x = if side == 0 { mid - 28.0 - w } else { mid + 28.0 };
            out.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"{colour}\"><title>{}</title></rect>",
                BAR_H - 2.0,
                esc(&cell_text(c, lang, min_cell))
            ));
        }
        out.push_str(&format!(
            "<text x=\"{mid}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\">{}</text>",
            y + BAR_H - 4.0,
            esc(lang.pick(&r.label.vi, &r.label.en))
        ));
    }
    out.push_str("</svg>");
    out
}

/// A cell as shown on a chart: the number, or "< min" when suppressed.
fn cell_text(c: &crate::figures::Cell, lang: Lang, min_cell: i64) -> String {
    match c.value {
        _ if c.suppressed => format!("< {min_cell}"),
        Some(v) => format_number(v, 0, lang),
        None => "—".into(),
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}
