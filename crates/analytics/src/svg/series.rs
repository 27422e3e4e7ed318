//! Values over months: one line per count column, suppressed months drawn as gaps. The month still
//! under way (the figure's `partial` row) is drawn apart: a dashed segment to a hollow point,
//! labelled "tạm tính", and left out of the scale, so a few days' counts are neither read as a
//! fall nor, when they already exceed a whole month, drawn as a spike that flattens the rest (a
//! value above the scale is drawn at its top with an arrow, its number in the tooltip).

use kernel::Lang;

use super::{count_columns, esc, format_number, legend, open, value_at, PALETTE, WIDTH};
use crate::figures::Figure;

const HEIGHT: f64 = 240.0;
const LEFT: f64 = 60.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 40.0;

pub(super) fn series(f: &Figure, lang: Lang) -> String {
    let cols = count_columns(f, 4);
    let n = f.rows.len();
    let is_partial = |r: &crate::figures::Row| f.partial.as_deref() == Some(r.key.as_str());
    let whole = f.rows.iter().filter(|r| !is_partial(r)).flat_map(|r| cols.iter().filter_map(|&i| value_at(r, i)));
    let max = whole.fold(0.0, f64::max);
    // Only a partial month known: its own values set the scale.
    let max = if max > 0.0 {
        max
    } else {
        f.rows.iter().flat_map(|r| cols.iter().filter_map(|&i| value_at(r, i))).fold(0.0, f64::max).max(1.0)
    };
    let plot_w = WIDTH - LEFT - 20.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |i: usize| LEFT + if n > 1 { plot_w * i as f64 / (n - 1) as f64 } else { plot_w / 2.0 };
    let y = |v: f64| TOP + plot_h - v / max * plot_h;
    let mut out = open(HEIGHT, lang.pick(&f.title.vi, &f.title.en));
    out.push_str(&legend(f, &cols, lang, 16.0));
    out.push_str(&format!(
        "<line x1=\"{LEFT}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">0</text>",
        TOP + plot_h,
        LEFT + plot_w,
        TOP + plot_h,
        LEFT - 6.0,
        TOP + 4.0,
        format_number(max, 0, lang),
        LEFT - 6.0,
        TOP + plot_h
    ));
    let step = (n / 8).max(1);
    for (i, r) in f.rows.iter().enumerate().filter(|(i, r)| i % step == 0 && !is_partial(r)) {
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\">{}</text>",
            x(i),
            HEIGHT - BOTTOM + 16.0,
            esc(lang.pick(&r.label.vi, &r.label.en))
        ));
    }
    if let Some(i) = f.rows.iter().position(is_partial) {
        out.push_str(&format!(
            "<text class=\"partial-label\" x=\"{:.1}\" y=\"{}\" text-anchor=\"end\" font-size=\"10\" \
             font-style=\"italic\">{}</text>",
            x(i),
            HEIGHT - BOTTOM + 30.0,
            esc(lang.pick("tháng này: tạm tính", "this month: partial"))
        ));
    }
    for (&c, colour) in cols.iter().zip(PALETTE.iter().cycle()) {
        // Runs of known values become polylines; a suppressed month breaks the line.
        let mut run: Vec<String> = Vec::new();
        let flush = |run: &mut Vec<String>, out: &mut String| {
            if run.len() > 1 {
                out.push_str(&format!(
                    "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
                    run.join(" ")
                ));
            }
            run.clear();
        };
        let mut previous: Option<(usize, f64)> = None;
        for (i, r) in f.rows.iter().enumerate() {
            let label = esc(lang.pick(&r.label.vi, &r.label.en));
            match value_at(r, c) {
                Some(v) if is_partial(r) => {
                    flush(&mut run, &mut out);
                    let top = y(v.min(max));
                    if let Some((j, pv)) = previous {
                        out.push_str(&format!(
                            "<line class=\"partial\" x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{top:.1}\" \
                             stroke=\"{colour}\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>",
                            x(j),
                            y(pv),
                            x(i)
                        ));
                    }
                    if v > max {
                        out.push_str(&format!(
                            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{colour}\">↑</text>",
                            x(i),
                            top - 5.0
                        ));
                    }
                    out.push_str(&format!(
                        "<circle class=\"partial\" cx=\"{:.1}\" cy=\"{top:.1}\" r=\"3.5\" fill=\"#fff\" \
                         stroke=\"{colour}\" stroke-width=\"2\"><title>{label}: {}</title></circle>",
                        x(i),
                        format_number(v, 0, lang)
                    ));
                }
                Some(v) => {
                    run.push(format!("{:.1},{:.1}", x(i), y(v)));
                    previous = Some((i, v));
                    out.push_str(&format!(
                        "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{colour}\"><title>{label}: {}</title></circle>",
                        x(i),
                        y(v),
                        format_number(v, 0, lang)
                    ));
                }
                None => {
                    previous = None;
                    flush(&mut run, &mut out);
                }
            }
        }
        flush(&mut run, &mut out);
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::{Cell, Chart, Column, Figure, Row, Text};

    fn text(s: &str) -> Text {
        Text { vi: s.into(), en: s.into() }
    }

    /// Twelve whole months around 100 and the current month already at 1,000 (a demo that seeded
    /// its events today).
    fn months(partial: bool) -> Figure {
        let mut f = Figure {
            id: "guests_month".into(),
            title: text("Khách"),
            definition: text(""),
            chart: Chart::Series,
            available: true,
            row_header: text("Tháng"),
            columns: vec![Column { id: "n".into(), label: text("Khách"), decimals: 0 }],
            rows: (1..=12)
                .map(|m| Row {
                    key: format!("2026-{m:02}"),
                    label: text(&format!("{m:02}/2026")),
                    cells: vec![Cell {
                        value: Some(if m == 12 { 1000.0 } else { 90.0 + m as f64 }),
                        suppressed: false,
                    }],
                })
                .collect(),
            partial: None,
        };
        if partial {
            f.mark_partial_month(chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap());
        }
        f
    }

    #[test]
    fn the_month_under_way_is_drawn_apart_and_off_the_scale() {
        let f = months(true);
        assert_eq!(f.partial.as_deref(), Some("2026-12"));
        assert_eq!(f.rows[11].label.vi, "12/2026 (tạm tính)");
        let svg = series(&f, Lang::Vi);
        // The scale is the whole months' (101), not the partial 1,000.
        assert!(svg.contains(">101</text>"), "{svg}");
        assert!(!svg.contains(">1.000</text>"), "the partial month sets the scale");
        assert!(svg.contains("stroke-dasharray") && svg.contains("class=\"partial\""));
        assert!(svg.contains("tháng này: tạm tính") && svg.contains("↑"));
        // Its real value stays readable in the tooltip.
        assert!(svg.contains("12/2026 (tạm tính): 1.000"), "{svg}");
        assert!(series(&f, Lang::En).contains("this month: partial"));
    }

    #[test]
    fn whole_months_are_drawn_as_before() {
        let svg = series(&months(false), Lang::Vi);
        assert!(!svg.contains("tạm tính") && !svg.contains("stroke-dasharray"));
        assert!(svg.contains(">1.000</text>"));
    }

    #[test]
    fn only_series_mark_the_month() {
        let mut f = months(false);
        f.chart = Chart::Bars;
        f.mark_partial_month(chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap());
        assert_eq!(f.partial, None);
    }
}
