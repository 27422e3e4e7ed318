//! The consolidated report as a PDF in Vietnamese administrative form: issuing body and document
//! number on the left, the national name and motto with place and date on the right, the title,
//! then the tables. Text is set in the embedded DejaVu Sans, which covers Vietnamese.
//!
//! The `paper` crate places and draws; this file says what the report contains.

use kernel::AppError;
use paper::{Layout, MARGIN};

use super::consolidated::Consolidated;

/// Lays the report out on pages.
fn layout(r: &Consolidated) -> Result<Layout, AppError> {
    let mut l = Layout::new()?;
    let right = Layout::right_column();
    l.heading(&r.header.issuer, &r.header.sub_issuer, &r.header.number, &r.place_and_date());
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
    paper::write(&layout(r)?)
}
