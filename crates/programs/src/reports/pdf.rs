//! The consolidated report as a PDF in Vietnamese administrative form: issuing body and document
//! number on the left, the national name and motto with place and date on the right, the title,
//! then the tables. Text is set in the embedded DejaVu Sans, which covers Vietnamese.
//!
//! Layout and drawing are separate: [`Layout`] places text runs and rules on pages (pure, measured
//! with the font's advance widths), then krilla draws them.

use kernel::AppError;
use krilla::geom::{PathBuilder, Point};
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::text::{Font, TextDirection};
use krilla::Document;

use super::consolidated::Consolidated;

const REGULAR: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 45.0;

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
}

/// Places text on A4 pages, starting a new page when one is full.
struct Layout {
    regular: ttf_parser::Face<'static>,
    bold: ttf_parser::Face<'static>,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout {
    fn new() -> Result<Layout, AppError> {
        let parse = |b| ttf_parser::Face::parse(b, 0).map_err(|e| AppError::internal(format!("font: {e}")));
        Ok(Layout { regular: parse(REGULAR)?, bold: parse(BOLD)?, pages: vec![Vec::new()], y: MARGIN })
    }

    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let face = if bold { &self.bold } else { &self.regular };
        let per_unit = size / face.units_per_em() as f32;
        text.chars()
            .map(|c| face.glyph_index(c).and_then(|g| face.glyph_hor_advance(g)).unwrap_or(face.units_per_em() / 2))
            .map(|a| a as f32 * per_unit)
            .sum()
    }

    /// Splits text into lines no wider than `max`, breaking at spaces (or inside over-long words).
    fn wrap(&self, text: &str, size: f32, bold: bool, max: f32) -> Vec<String> {
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

    fn ensure(&mut self, height: f32) -> bool {
        if self.y + height > PAGE_H - MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
            return true;
        }
        false
    }

    fn push(&mut self, op: Op) {
        self.pages.last_mut().expect("a page").push(op);
    }

    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        self.push(Op::Text { x, y, size, bold, text: text.to_string() });
    }

    fn centered(&mut self, center: f32, y: f32, size: f32, bold: bool, text: &str) {
        let w = self.width(text, size, bold);
        self.text(center - w / 2.0, y, size, bold, text);
    }

    /// A wrapped paragraph across the text width (centered or left-aligned).
    fn paragraph(&mut self, text: &str, size: f32, bold: bool, center: bool) {
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

    fn rule(&mut self, x1: f32, x2: f32, y: f32) {
        self.push(Op::Line { x1, y1: y, x2, y2: y });
    }

    /// A bordered table with a header row repeated on each page.
    fn table(&mut self, heads: &[(&str, f32)], rows: &[Vec<String>]) {
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

/// Lays the report out on pages.
fn layout(r: &Consolidated) -> Result<Layout, AppError> {
    let mut l = Layout::new()?;
    let (left, right) = (MARGIN + 110.0, MARGIN + 345.0);
    let size = 10.0;
    l.centered(left, MARGIN + 12.0, size, false, &r.header.issuer);
    l.centered(left, MARGIN + 26.0, size, true, &r.header.sub_issuer);
    l.rule(left - 35.0, left + 35.0, MARGIN + 31.0);
    l.centered(left, MARGIN + 46.0, size, false, &r.header.number);
    l.centered(right, MARGIN + 12.0, size, true, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
    l.centered(right, MARGIN + 26.0, size, true, "Độc lập - Tự do - Hạnh phúc");
    l.rule(right - 70.0, right + 70.0, MARGIN + 31.0);
    l.centered(right, MARGIN + 46.0, size, false, &r.place_and_date());
    l.y = MARGIN + 70.0;
    l.paragraph(&r.title(), 12.0, true, true);
    l.y += 8.0;
    l.paragraph("I. TÌNH HÌNH ĐĂNG KÝ, BÁO CÁO VÀ XẾP HẠNG CÁC ĐƠN VỊ", 10.0, true, false);
    l.paragraph(
        &format!(
            "Tổng số đơn vị: {}; đã đăng ký mô hình: {}; chưa đăng ký: {}.",
            r.total_units,
            r.total_units - r.not_registered,
            r.not_registered
        ),
        9.5,
        false,
        false,
    );
    l.y += 4.0;
    let units: Vec<Vec<String>> = r
        .units
        .iter()
        .map(|u| {
            vec![
                u.rank.to_string(),
                u.unit_name.clone(),
                format!("{} ({} đã duyệt)", u.registrations, u.approved),
                Consolidated::status_label(u.report_status).to_string(),
                u.submitted_on.clone().unwrap_or_else(|| "—".into()),
                Consolidated::percent(u.progress),
                format!("{:.1}", u.score),
            ]
        })
        .collect();
    l.table(
        &[
            ("Hạng", 30.0),
            ("Đơn vị", 150.0),
            ("Mô hình đăng ký", 70.0),
            ("Báo cáo kỳ", 70.0),
            ("Ngày nộp", 60.0),
            ("Tiến độ chỉ tiêu", 60.0),
            ("Điểm", 40.0),
        ],
        &units,
    );
    l.paragraph("II. CHỈ TIÊU TÍNH TỪ DỮ LIỆU TOÀN TỈNH", 10.0, true, false);
    l.y += 4.0;
    let province: Vec<Vec<String>> =
        r.province_kpis.iter().map(|k| vec![k.name.clone(), k.value.clone(), k.definition.clone()]).collect();
    l.table(&[("Chỉ tiêu", 160.0), ("Giá trị", 80.0), ("Cách tính", 255.0)], &province);
    l.paragraph("III. KẾT QUẢ THỰC HIỆN CHỈ TIÊU CỦA CÁC ĐƠN VỊ", 10.0, true, false);
    l.y += 4.0;
    let kpis: Vec<Vec<String>> = r
        .kpis
        .iter()
        .map(|k| {
            vec![
                k.unit_name.clone(),
                k.model_id.clone(),
                k.kpi_name.clone(),
                format!("{} ({})", k.target, k.deadline),
                k.value.clone(),
                Consolidated::percent(k.progress),
            ]
        })
        .collect();
    l.table(
        &[
            ("Đơn vị", 100.0),
            ("Mô hình", 40.0),
            ("Chỉ tiêu", 170.0),
            ("Mục tiêu (thời hạn)", 75.0),
            ("Kết quả", 70.0),
            ("Tiến độ", 40.0),
        ],
        &kpis,
    );
    l.ensure(70.0);
    l.y += 14.0;
    let y = l.y;
    l.text(MARGIN, y, 9.0, true, "Nơi nhận:");
    l.text(MARGIN, y + 12.0, 9.0, false, "- Thường trực UBND tỉnh;");
    l.text(MARGIN, y + 24.0, 9.0, false, "- Các đơn vị có tên trên;");
    l.text(MARGIN, y + 36.0, 9.0, false, "- Lưu: VT.");
    l.centered(right, y, 10.0, true, "TM. TỔ CÔNG TÁC");
    Ok(l)
}

/// The PDF's bytes.
pub fn write(r: &Consolidated) -> Result<Vec<u8>, AppError> {
    let l = layout(r)?;
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
}
