//! The province map: one point per commune at its centre (from the administrative-unit
//! catalogue), area proportional to population, colour by density class.

use kernel::Lang;
use registry::admin_units::AdminUnits;

use super::{esc, format_number, open, value_at, WIDTH};
use crate::figures::Figure;

const HEIGHT: f64 = 560.0;
const PAD: f64 = 30.0;
const MAX_R: f64 = 16.0;
/// Density classes (people per km²) and their colours, light to dark.
const CLASSES: [(f64, &str); 5] =
    [(0.0, "#c6dbef"), (100.0, "#9ecae1"), (300.0, "#6baed6"), (1000.0, "#3182bd"), (3000.0, "#08519c")];

/// Columns: population, area, density (see `figures::population`).
pub(super) fn map(f: &Figure, lang: Lang) -> String {
    let units = AdminUnits::get();
    let points: Vec<(f64, f64, &crate::figures::Row)> = f
        .rows
        .iter()
        .filter_map(|r| {
            let c = units.commune(&r.key)?;
            Some((c.lon?, c.lat?, r))
        })
        .collect();
    let mut out = open(HEIGHT, lang.pick(&f.title.vi, &f.title.en));
    if points.is_empty() {
        out.push_str("</svg>");
        return out;
    }
    let (min_lon, max_lon) = points.iter().fold((f64::MAX, f64::MIN), |a, p| (a.0.min(p.0), a.1.max(p.0)));
    let (min_lat, max_lat) = points.iter().fold((f64::MAX, f64::MIN), |a, p| (a.0.min(p.1), a.1.max(p.1)));
    // Equirectangular projection, longitudes shrunk by cos(latitude) so shapes keep their proportions.
    let k = ((min_lat + max_lat) / 2.0).to_radians().cos();
    let span_x = ((max_lon - min_lon) * k).max(0.01);
    let span_y = (max_lat - min_lat).max(0.01);
    let scale = ((WIDTH - 2.0 * PAD - 150.0) / span_x).min((HEIGHT - 2.0 * PAD) / span_y);
    let max_pop = points.iter().filter_map(|p| value_at(p.2, 0)).fold(0.0, f64::max).max(1.0);
    let mut sorted = points.clone();
    // Large circles first so small ones stay visible on top.
    sorted.sort_by(|a, b| value_at(b.2, 0).unwrap_or(0.0).total_cmp(&value_at(a.2, 0).unwrap_or(0.0)));
    for (lon, lat, r) in sorted {
        let x = PAD + (lon - min_lon) * k * scale;
        let y = PAD + (max_lat - lat) * scale;
        let pop = value_at(r, 0);
        let radius = pop.map(|p| 2.0 + (p / max_pop).sqrt() * MAX_R).unwrap_or(2.0);
        let colour = match value_at(r, 2) {
            Some(d) => CLASSES.iter().rev().find(|(lo, _)| d >= *lo).map(|c| c.1).unwrap_or(CLASSES[0].1),
            None => "#bbbbbb",
        };
        let tip = format!(
            "{}: {}",
            lang.pick(&r.label.vi, &r.label.en),
            pop.map(|p| format_number(p, 0, lang)).unwrap_or_else(|| lang.pick("bị ẩn", "suppressed").into())
        );
        out.push_str(&format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{radius:.1}\" fill=\"{colour}\" fill-opacity=\"0.85\" \
             stroke=\"#fff\" stroke-width=\"0.8\" data-commune=\"{}\"><title>{}</title></circle>",
            esc(&r.key),
            esc(&tip)
        ));
    }
    // Density legend.
    let lx = WIDTH - 150.0;
    out.push_str(&format!(
        "<text x=\"{lx}\" y=\"{}\">{}</text>",
        PAD,
        esc(lang.pick("Mật độ (người/km²)", "Density (people/km²)"))
    ));
    for (i, (lo, colour)) in CLASSES.iter().enumerate() {
        let y = PAD + 14.0 + i as f64 * 18.0;
        out.push_str(&format!(
            "<rect x=\"{lx}\" y=\"{y}\" width=\"14\" height=\"14\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\">≥ {}</text>",
            lx + 20.0,
            y + 11.0,
            format_number(*lo, 0, lang)
        ));
    }
    out.push_str("</svg>");
    out
}
