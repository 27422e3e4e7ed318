//! Printed documents in Vietnamese administrative form, as PDF: a small layout engine that places
//! wrapped text, rules and bordered tables on A4 pages (measured with the embedded DejaVu Sans,
//! which covers Vietnamese), the standard heading of an administrative document, and drawing with
//! krilla. Modules that issue reports or result documents describe their content; this crate
//! places and draws it.

use kernel::AppError;
use krilla::geom::{PathBuilder, Point};
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::text::{Font, TextDirection};
use krilla::Document;

const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

pub const PAGE_W: f32 = 595.28;
pub const PAGE_H: f32 = 841.89;
pub const MARGIN: f32 = 45.0;
/// Width of the heading's left column (issuing body, number), which must end before the national
/// name on the right begins.
pub const HEADING_LEFT_WIDTH: f32 = 210.0;

/// Something to draw on a page.
enum Op {
    /// Text run with its baseline-left point.
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
    },
    /// A filled black square (a QR code's module).
    Square {
        x: f32,
        y: f32,
        side: f32,
    },
}

/// Places text on A4 pages, starting a new page when one is full.
pub struct Layout {
    regular: ttf_parser::Face<'static>,
    bold: ttf_parser::Face<'static>,
    pages: Vec<Vec<Op>>,
    /// Baseline of the last line placed; the next line goes below it.
    pub y: f32,
}

impl Layout {
    pub fn new() -> Result<Layout, AppError> {
        let parse = |b| ttf_parser::Face::parse(b, 0).map_err(|e| AppError::internal(format!("font: {e}")));
        Ok(Layout { regular: parse(REGULAR)?, bold: parse(BOLD)?, pages: vec![Vec::new()], y: MARGIN })
    }

    pub fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let face = if bold { &self.bold } else { &self.regular };
        let per_unit = size / face.units_per_em() as f32;
        text.chars()
            .map(|c| face.glyph_index(c).and_then(|g| face.glyph_hor_advance(g)).unwrap_or(face.units_per_em() / 2))
            .map(|a| a as f32 * per_unit)
            .sum()
    }

    /// Splits text into lines no wider than `max`, breaking at spaces (or inside over-long words).
    pub fn wrap(&self, text: &str, size: f32, bold: bool, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in text.lines() {
            let mut line = String::new();
            for word in para.split_whitespace() {
                let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
                if self.width(&candidate, size, bold) <= max {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                let mut piece = String::new();
                for c in word.chars() {
                    piece.push(c);
                    if self.width(&piece, size, bold) > max {
                        piece.pop();
                        lines.push(std::mem::replace(&mut piece, c.to_string()));
                    }
                }
                line = piece;
            }
            lines.push(line);
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
        lines
    }

    pub fn ensure(&mut self, height: f32) -> bool {
        if self.y + height > PAGE_H - MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
            return true;
        }
        false
    }

    fn push(&mut self, op: Op) {
        // A layout starts with one page; should it have none, the op opens one.
        match self.pages.last_mut() {
            Some(page) => page.push(op),
            None => self.pages.push(vec![op]),
        }
    }

    pub fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        self.push(Op::Text { x, y, size, bold, text: text.to_string() });
    }

    pub fn centered(&mut self, center: f32, y: f32, size: f32, bold: bool, text: &str) {
        let w = self.width(text, size, bold);
        self.text(center - w / 2.0, y, size, bold, text);
    }

    /// A wrapped paragraph across the text width (centered or left-aligned).
    pub fn paragraph(&mut self, text: &str, size: f32, bold: bool, center: bool) {
        let max = PAGE_W - 2.0 * MARGIN;
        for line in self.wrap(text, size, bold, max) {
            self.ensure(size * 1.45);
            self.y += size * 1.45;
            if center {
                self.centered(PAGE_W / 2.0, self.y, size, bold, &line);
            } else {
                self.text(MARGIN, self.y, size, bold, &line);
            }
        }
    }

    pub fn rule(&mut self, x1: f32, x2: f32, y: f32) {
        self.push(Op::Line { x1, y1: y, x2, y2: y });
    }

    /// The heading of an administrative document (Decree 30/2020/NĐ-CP): issuing body, its
    /// unit and the document number on the left; the national name, motto, place and date on the
    /// right. Leaves `y` below it, ready for the title.
    ///
    /// Each column keeps to its own width ([`HEADING_LEFT_WIDTH`]): a long issuer ("ỦY BAN NHÂN
    /// DÂN XÃ …") wraps inside the left column instead of running into the national name.
    pub fn heading(&mut self, issuer: &str, sub_issuer: &str, number: &str, place_and_date: &str) {
        let (left, right) = (MARGIN + HEADING_LEFT_WIDTH / 2.0, Self::right_column());
        let size = 10.0;
        let lead = 13.0;
        let mut y = MARGIN + 12.0;
        for l in self.wrap(issuer, size, false, HEADING_LEFT_WIDTH) {
            self.centered(left, y, size, false, &l);
            y += lead;
        }
        if !sub_issuer.is_empty() {
            for l in self.wrap(sub_issuer, size, true, HEADING_LEFT_WIDTH) {
                self.centered(left, y, size, true, &l);
                y += lead;
            }
        }
        self.rule(left - 35.0, left + 35.0, y - lead + 5.0);
        let left_bottom = y + 7.0;
        self.centered(left, left_bottom, size, false, number);
        self.centered(right, MARGIN + 12.0, size, true, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
        self.centered(right, MARGIN + 26.0, size, true, "Độc lập - Tự do - Hạnh phúc");
        self.rule(right - 70.0, right + 70.0, MARGIN + 31.0);
        let mut right_bottom = MARGIN + 46.0;
        for l in self.wrap(place_and_date, size, false, PAGE_W - MARGIN - (MARGIN + HEADING_LEFT_WIDTH) - 10.0) {
            self.text(right - self.width(&l, size, false) / 2.0, right_bottom, size, false, &l);
            right_bottom += lead;
        }
        self.y = left_bottom.max(right_bottom) + 20.0;
    }

    /// A square matrix of modules (a QR code) with its top-left corner at (x, y), `side` points
    /// wide; `dark[row][column]`.
    pub fn matrix(&mut self, x: f32, y: f32, side: f32, dark: &[Vec<bool>]) {
        let n = dark.len().max(1) as f32;
        let m = side / n;
        for (r, row) in dark.iter().enumerate() {
            for (c, on) in row.iter().enumerate() {
                if *on {
                    self.push(Op::Square { x: x + c as f32 * m, y: y + r as f32 * m, side: m });
                }
            }
        }
    }

    /// The x of the right-hand column's centre (signature block, place and date).
    pub fn right_column() -> f32 {
        MARGIN + 345.0
    }

    /// A bordered table with a header row repeated on each page.
    pub fn table(&mut self, heads: &[(&str, f32)], rows: &[Vec<String>]) {
        const SIZE: f32 = 8.0;
        const LEAD: f32 = 10.5;
        let total: f32 = heads.iter().map(|h| h.1).sum();
        let scale = (PAGE_W - 2.0 * MARGIN) / total;
        let widths: Vec<f32> = heads.iter().map(|h| h.1 * scale).collect();
        let head_cells: Vec<String> = heads.iter().map(|h| h.0.to_string()).collect();
        self.row(&head_cells, &widths, SIZE, LEAD, true);
        for r in rows {
            let h = self.row_height(r, &widths, SIZE, LEAD, false);
            if self.ensure(h) {
                self.row(&head_cells, &widths, SIZE, LEAD, true);
            }
            self.row(r, &widths, SIZE, LEAD, false);
        }
        self.y += 6.0;
    }

    fn row_height(&self, cells: &[String], widths: &[f32], size: f32, lead: f32, bold: bool) -> f32 {
        let lines = cells.iter().zip(widths).map(|(c, w)| self.wrap(c, size, bold, w - 6.0).len()).max().unwrap_or(1);
        lines as f32 * lead + 6.0
    }

    fn row(&mut self, cells: &[String], widths: &[f32], size: f32, lead: f32, bold: bool) {
        let h = self.row_height(cells, widths, size, lead, bold);
        self.ensure(h);
        let top = self.y;
        let mut x = MARGIN;
        self.rule(MARGIN, MARGIN + widths.iter().sum::<f32>(), top);
        for (c, w) in cells.iter().zip(widths) {
            self.push(Op::Line { x1: x, y1: top, x2: x, y2: top + h });
            for (i, line) in self.wrap(c, size, bold, w - 6.0).into_iter().enumerate() {
                self.text(x + 3.0, top + 3.0 + lead * (i as f32 + 1.0) - 2.5, size, bold, &line);
            }
            x += w;
        }
        self.push(Op::Line { x1: x, y1: top, x2: x, y2: top + h });
        self.rule(MARGIN, x, top + h);
        self.y = top + h;
    }
}

/// The PDF's bytes.
pub fn write(l: &Layout) -> Result<Vec<u8>, AppError> {
    let font = |b: &'static [u8]| Font::new(b.into(), 0).ok_or_else(|| AppError::internal("font cannot be loaded"));
    let (regular, bold) = (font(REGULAR)?, font(BOLD)?);
    let mut doc = Document::new();
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| AppError::internal("page size"))?;
    for ops in &l.pages {
        let mut page = doc.start_page_with(settings.clone());
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text { x, y, size, bold: b, text } => surface.draw_text(
                    Point::from_xy(*x, *y),
                    if *b { bold.clone() } else { regular.clone() },
                    *size,
                    text,
                    false,
                    TextDirection::Auto,
                ),
                Op::Square { x, y, side } => {
                    // A hair wider than the module, so that neighbours leave no visible seam.
                    let mut pb = PathBuilder::new();
                    if let Some(rect) = krilla::geom::Rect::from_xywh(*x, *y, side + 0.05, side + 0.05) {
                        pb.push_rect(rect);
                    }
                    if let Some(path) = pb.finish() {
                        surface.set_stroke(None);
                        surface.set_fill(Some(krilla::paint::Fill::default()));
                        surface.draw_path(&path);
                    }
                }
                Op::Line { x1, y1, x2, y2 } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(*x1, *y1);
                    pb.line_to(*x2, *y2);
                    if let Some(path) = pb.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke { width: 0.6, ..Default::default() }));
                        surface.draw_path(&path);
                        surface.set_stroke(None);
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    doc.finish().map_err(|e| AppError::internal(format!("pdf: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_vietnamese_text_within_the_width() {
        let l = Layout::new().unwrap();
        let text = "Tỷ lệ công dân từ 14 tuổi có định danh điện tử mức 2 trên tổng số công dân đang sinh sống";
        let lines = l.wrap(text, 8.0, false, 120.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|s| l.width(s, 8.0, false) <= 120.0));
        assert_eq!(lines.join(" "), text);
        assert!(l.width("Ủy ban", 10.0, true) > l.width("Ủy ban", 10.0, false));
    }

    #[test]
    fn a_long_issuer_wraps_inside_the_left_column() {
        let mut l = Layout::new().unwrap();
        l.heading(
            "ỦY BAN NHÂN DÂN CẤP XÃ PHƯỜNG HÀ GIANG 1 TỈNH TUYÊN QUANG",
            "",
            "Số: 1/2026",
            "Hà Giang 1, ngày 01 tháng 12 năm 2026",
        );
        let national_left = Layout::right_column() - l.width("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 10.0, true) / 2.0;
        let mut issuer_lines = 0;
        for op in &l.pages[0] {
            if let Op::Text { x, text, size, bold, .. } = op {
                if text.starts_with("ỦY BAN") || text.contains("GIANG") {
                    issuer_lines += 1;
                    assert!(x + l.width(text, *size, *bold) < national_left, "{text} overlaps the national name");
                }
            }
        }
        assert!(issuer_lines >= 2, "the issuer was wrapped");
        assert!(l.y > MARGIN + 70.0, "the title goes below the taller heading");
    }
}
