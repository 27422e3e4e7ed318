//! Charts drawn on the server as SVG, so dashboards work without a network connection or a
//! script. Suppressed cells are drawn as empty and marked; the table under each chart is the
//! exact reading.

mod bars;
mod map;
mod series;

use kernel::Lang;

use crate::figures::{Cell, Chart, Figure, Row};

/// Series colours (colour-blind-safe blue, orange, green, purple).
const PALETTE: [&str; 4] = ["#1f77b4", "#e8710a", "#2ca02c", "#9467bd"];

/// Chart width in user units; the SVG scales to its container.
const WIDTH: f64 = 720.0;

/// The chart of a figure, or `None` when it has no data to draw.
pub fn render(f: &Figure, lang: Lang, min_cell: i64) -> Option<String> {
    if !f.available || f.rows.is_empty() {
        return None;
    }
    Some(match f.chart {
        Chart::Bars => bars::bars(f, lang, min_cell),
        Chart::Pyramid => bars::pyramid(f, lang, min_cell),
        Chart::Series => series::series(f, lang),
        Chart::Map => map::map(f, lang),
    })
}

/// Escapes text for SVG content and attributes.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Indices of columns holding counts (the ones charts draw), at most `max`.
fn count_columns(f: &Figure, max: usize) -> Vec<usize> {
    f.columns.iter().enumerate().filter(|(_, c)| c.decimals == 0).map(|(i, _)| i).take(max).collect()
}

fn value(c: &Cell) -> f64 {
    c.value.unwrap_or(0.0)
}

/// The value of `r` in column `i` (`None` when suppressed or missing).
fn value_at(r: &Row, i: usize) -> Option<f64> {
    r.cells.get(i).and_then(|c| c.value)
}

/// Thousands separated the Vietnamese way (dots), or with commas in English.
pub fn format_number(x: f64, decimals: u8, lang: Lang) -> String {
    let (thousands, point) = match lang {
        Lang::Vi => ('.', ','),
        Lang::En => (',', '.'),
    };
    let s = format!("{:.*}", decimals as usize, x.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(thousands);
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    if x < 0.0 {
        out.insert(0, '-');
    }
    out
}

/// Opening tag with an accessible name.
fn open(height: f64, title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" \
         aria-label=\"{}\" class=\"chart\" font-family=\"system-ui, sans-serif\" font-size=\"12\">",
        esc(title)
    )
}

/// A legend line for the drawn columns.
fn legend(f: &Figure, cols: &[usize], lang: Lang, y: f64) -> String {
    let mut out = String::new();
    let mut x = 8.0;
    for (column, colour) in cols.iter().filter_map(|&i| f.columns.get(i)).zip(PALETTE.iter().cycle()) {
        let label = esc(lang.pick(&column.label.vi, &column.label.en));
        out.push_str(&format!(
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\">{label}</text>",
            y - 10.0,
            x + 16.0,
            y
        ));
        x += 24.0 + label.chars().count() as f64 * 7.0;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_use_the_language_separators() {
        assert_eq!(format_number(1234567.0, 0, Lang::Vi), "1.234.567");
        assert_eq!(format_number(1234567.0, 0, Lang::En), "1,234,567");
        assert_eq!(format_number(1234.56, 1, Lang::Vi), "1.234,6");
        assert_eq!(format_number(-12.0, 0, Lang::En), "-12");
        assert_eq!(format_number(999.0, 0, Lang::En), "999");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
