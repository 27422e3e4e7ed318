//! The province map: one point per commune at its centre (from the administrative-unit
//! catalogue), area proportional to population, colour by density class, over the province's
//! outline, with the province's name and the largest communes named.
//!
//! The catalogue has each commune's centre and area but no boundary, so the outline is derived
//! from them: every commune is taken as a disc of its area around its centre, and the outline is
//! the convex hull of those discs — the province's extent, not its surveyed border (the legend
//! says so).

use kernel::Lang;
use registry::admin_units::AdminUnits;

use super::{esc, format_number, open, value_at, WIDTH};
use crate::figures::Figure;

const HEIGHT: f64 = 560.0;
const PAD: f64 = 30.0;
const MAX_R: f64 = 16.0;
/// Communes named on the map (the most populous), so labels do not cover each other.
const NAMED: usize = 8;
/// Points taken on each commune's disc for the outline.
const DISC_POINTS: usize = 12;
/// Density classes (people per km²) and their colours, light to dark.
const CLASSES: [(f64, &str); 5] =
    [(0.0, "#c6dbef"), (100.0, "#9ecae1"), (300.0, "#6baed6"), (1000.0, "#3182bd"), (3000.0, "#08519c")];

/// Columns: population, area, density (see `figures::population`).
pub(super) fn map(f: &Figure, lang: Lang) -> String {
    let units = AdminUnits::get();
    let communes: Vec<(&registry::admin_units::Commune, f64, f64, &crate::figures::Row)> = f
        .rows
        .iter()
        .filter_map(|r| {
            let c = units.commune(&r.key)?;
            Some((c, c.lon?, c.lat?, r))
        })
        .collect();
    let points: Vec<(f64, f64, &crate::figures::Row)> =
        communes.iter().map(|(_, lon, lat, r)| (*lon, *lat, *r)).collect();
    let mut out = open(HEIGHT, lang.pick(&f.title.vi, &f.title.en));
    if points.is_empty() {
        out.push_str("</svg>");
        return out;
    }
    let outline = hull(&communes.iter().flat_map(|(c, lon, lat, _)| disc(*lon, *lat, c.area_km2)).collect::<Vec<_>>());
    let (min_lon, max_lon) = outline.iter().fold((f64::MAX, f64::MIN), |a, p| (a.0.min(p.0), a.1.max(p.0)));
    let (min_lat, max_lat) = outline.iter().fold((f64::MAX, f64::MIN), |a, p| (a.0.min(p.1), a.1.max(p.1)));
    // Equirectangular projection, longitudes shrunk by cos(latitude) so shapes keep their proportions.
    let k = ((min_lat + max_lat) / 2.0).to_radians().cos();
    let span_x = ((max_lon - min_lon) * k).max(0.01);
    let span_y = (max_lat - min_lat).max(0.01);
    let scale = ((WIDTH - 2.0 * PAD - 150.0) / span_x).min((HEIGHT - 2.0 * PAD) / span_y);
    let project = |lon: f64, lat: f64| (PAD + (lon - min_lon) * k * scale, PAD + (max_lat - lat) * scale);
    let path: Vec<String> = outline
        .iter()
        .enumerate()
        .map(|(i, (lon, lat))| {
            let (x, y) = project(*lon, *lat);
            format!("{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" })
        })
        .collect();
    out.push_str(&format!(
        "<path class=\"province-outline\" d=\"{}Z\" fill=\"#eef2f7\" stroke=\"#5b6b80\" stroke-width=\"1.5\" \
         stroke-linejoin=\"round\"/>",
        path.join(" ")
    ));
    if let Some(province) = communes.first().and_then(|(c, ..)| units.province(&c.province_code)) {
        out.push_str(&format!(
            "<text class=\"province-label\" x=\"{PAD}\" y=\"{}\" font-size=\"16\" font-weight=\"bold\" \
             fill=\"#33445a\">{}</text>",
            PAD - 8.0,
            esc(&province.name)
        ));
    }
    let max_pop = points.iter().filter_map(|p| value_at(p.2, 0)).fold(0.0, f64::max).max(1.0);
    let mut sorted = points.clone();
    // Large circles first so small ones stay visible on top.
    sorted.sort_by(|a, b| value_at(b.2, 0).unwrap_or(0.0).total_cmp(&value_at(a.2, 0).unwrap_or(0.0)));
    for (lon, lat, r) in sorted {
        let (x, y) = project(lon, lat);
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
    // The most populous communes by name, beside their points, with a halo to stay readable.
    let mut by_population: Vec<_> = communes.iter().filter(|c| value_at(c.3, 0).is_some()).collect();
    by_population.sort_by(|a, b| value_at(b.3, 0).unwrap_or(0.0).total_cmp(&value_at(a.3, 0).unwrap_or(0.0)));
    for (c, lon, lat, r) in by_population.into_iter().take(NAMED) {
        let (x, y) = project(*lon, *lat);
        let radius = value_at(r, 0).map(|p| 2.0 + (p / max_pop).sqrt() * MAX_R).unwrap_or(2.0);
        out.push_str(&format!(
            "<text class=\"commune-label\" x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#1d2733\" \
             stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
            x + radius + 3.0,
            y + 4.0,
            esc(&c.name)
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
    out.push_str(&format!(
        "<text x=\"{lx}\" y=\"{}\" font-size=\"10\" fill=\"#5b6b80\">{}</text>",
        PAD + 14.0 + CLASSES.len() as f64 * 18.0 + 12.0,
        esc(lang.pick("Đường bao: phạm vi các xã", "Outline: extent of the communes"))
    ));
    out.push_str("</svg>");
    out
}

/// Points on the edge of a disc of `area_km2` around a commune's centre (its centre alone when
/// the catalogue has no area), in degrees.
fn disc(lon: f64, lat: f64, area_km2: Option<f64>) -> Vec<(f64, f64)> {
    let Some(r_km) = area_km2.filter(|a| *a > 0.0).map(|a| (a / std::f64::consts::PI).sqrt()) else {
        return vec![(lon, lat)];
    };
    let (dlat, dlon) = (r_km / 111.0, r_km / (111.0 * lat.to_radians().cos().max(0.1)));
    (0..DISC_POINTS)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / DISC_POINTS as f64;
            (lon + dlon * a.cos(), lat + dlat * a.sin())
        })
        .collect()
}

/// The convex hull of `points`, counter-clockwise (Andrew's monotone chain).
fn hull(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut p = points.to_vec();
    p.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    p.dedup();
    if p.len() < 3 {
        return p;
    }
    let cross = |o: (f64, f64), a: (f64, f64), b: (f64, f64)| (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0);
    let mut lower: Vec<(f64, f64)> = Vec::new();
    for &q in &p {
        while let [.., a, b] = lower[..] {
            if cross(a, b, q) > 0.0 {
                break;
            }
            lower.pop();
        }
        lower.push(q);
    }
    let mut upper: Vec<(f64, f64)> = Vec::new();
    for &q in p.iter().rev() {
        while let [.., a, b] = upper[..] {
            if cross(a, b, q) > 0.0 {
                break;
            }
            upper.pop();
        }
        upper.push(q);
    }
    lower.pop();
    upper.pop();
    lower.extend(upper);
    lower
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::{Cell, Chart, Column, Row, Text};

    #[test]
    fn the_hull_keeps_the_extreme_points_only() {
        let square = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.5, 0.5), (0.2, 0.8)];
        let h = hull(&square);
        assert_eq!(h.len(), 4);
        assert!(!h.contains(&(0.5, 0.5)) && !h.contains(&(0.2, 0.8)));
    }

    #[test]
    fn the_map_has_the_province_outline_and_names() {
        let units = AdminUnits::get();
        let province = units.province("08").expect("province 08");
        let communes: Vec<_> = units.communes_of("08").into_iter().filter(|c| c.lat.is_some()).collect();
        assert!(communes.len() > NAMED);
        let text = |s: &str| Text { vi: s.into(), en: s.into() };
        let f = Figure {
            id: "density".into(),
            title: text("Mật độ"),
            definition: text(""),
            chart: Chart::Map,
            available: true,
            row_header: text("Xã"),
            columns: ["population", "area", "density"]
                .map(|c| Column { id: c.into(), label: text(c), decimals: 0 })
                .to_vec(),
            rows: communes
                .iter()
                .enumerate()
                .map(|(i, c)| Row {
                    key: c.code.clone(),
                    label: text(&c.name),
                    cells: vec![Cell::measure(1000.0 + i as f64); 3],
                })
                .collect(),
            partial: None,
        };
        let svg = map(&f, Lang::Vi);
        assert!(svg.contains("class=\"province-outline\""), "{svg}");
        assert!(svg.contains(&format!(">{}</text>", esc(&province.name))));
        assert_eq!(svg.matches("class=\"commune-label\"").count(), NAMED);
        // The most populous commune is named; every point lies inside the drawing.
        let largest = communes.last().unwrap();
        assert!(svg.contains(&format!(">{}</text>", esc(&largest.name))));
        assert!(svg.contains("Đường bao"));
    }
}
