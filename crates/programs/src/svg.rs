//! Small server-side SVG trend charts: monthly values as a line, the target as a dashed line.

/// A trend chart of `(month label, value)` points, with an optional target, 0–`max` on the y axis.
pub(crate) fn trend(points: &[(String, f64)], target: Option<f64>, max: f64, title: &str) -> String {
    const W: f64 = 240.0;
    const H: f64 = 70.0;
    const PAD: f64 = 6.0;
    let max = points.iter().map(|p| p.1).chain(target).fold(max, f64::max).max(1e-9);
    let x = |i: usize| {
        if points.len() < 2 {
            W / 2.0
        } else {
            PAD + i as f64 * (W - 2.0 * PAD) / (points.len() - 1) as f64
        }
    };
    let y = |v: f64| H - PAD - v / max * (H - 2.0 * PAD);
    let mut out = format!(
        "<svg class=\"trend\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{}\">",
        escape(title)
    );
    out.push_str(&format!("<rect x=\"0\" y=\"0\" width=\"{W}\" height=\"{H}\" fill=\"#f6f8fa\"/>"));
    if let Some(t) = target {
        out.push_str(&format!(
            "<line x1=\"{PAD}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#1a7f37\" stroke-dasharray=\"4 3\"/>",
            W - PAD,
            y(t),
            y(t)
        ));
    }
    let path: Vec<String> = points.iter().enumerate().map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.1))).collect();
    if points.len() > 1 {
        out.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"#b42318\" stroke-width=\"2\" points=\"{}\"/>",
            path.join(" ")
        ));
    }
    for (i, p) in points.iter().enumerate() {
        out.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#b42318\"><title>{}: {:.1}</title></circle>",
            x(i),
            y(p.1),
            escape(&p.0),
            p.1
        ));
    }
    out.push_str("</svg>");
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_points_target_and_escapes_titles() {
        let pts = vec![("2025-05".to_string(), 40.0), ("2025-06".to_string(), 60.0)];
        let svg = trend(&pts, Some(80.0), 100.0, "a <b>");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("stroke-dasharray"));
        assert!(svg.contains("a &lt;b&gt;"));
        // The higher value sits higher (smaller y).
        assert!(svg.contains("points=\"6.0,40.8 234.0,29.2\""), "{svg}");
    }
}
