//! Values over months: one line per count column, suppressed months drawn as gaps.

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
    let max = f.rows.iter().flat_map(|r| cols.iter().filter_map(|&i| value_at(r, i))).fold(0.0, f64::max).max(1.0);
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
    for (i, r) in f.rows.iter().enumerate().filter(|(i, _)| i % step == 0) {
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\">{}</text>",
            x(i),
            HEIGHT - BOTTOM + 16.0,
            esc(lang.pick(&r.label.vi, &r.label.en))
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
        for (i, r) in f.rows.iter().enumerate() {
            match value_at(r, c) {
                Some(v) => {
                    run.push(format!("{:.1},{:.1}", x(i), y(v)));
                    out.push_str(&format!(
                        "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{colour}\"><title>{}: {}</title></circle>",
                        x(i),
                        y(v),
                        esc(lang.pick(&r.label.vi, &r.label.en)),
                        format_number(v, 0, lang)
                    ));
                }
                None => flush(&mut run, &mut out),
            }
        }
        flush(&mut run, &mut out);
    }
    out.push_str("</svg>");
    out
}
