//! The consolidated report as an Excel workbook: the administrative header (issuing body, national
//! motto, number, place and date), then units, KPIs and the ranking, one sheet each.

use kernel::AppError;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use super::consolidated::Consolidated;

fn err(e: XlsxError) -> AppError {
    AppError::internal(format!("xlsx: {e}"))
}

struct Styles {
    bold_center: Format,
    center: Format,
    title: Format,
    head: Format,
    cell: Format,
    number: Format,
}

fn styles() -> Styles {
    let cell = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    Styles {
        bold_center: Format::new().set_bold().set_align(FormatAlign::Center),
        center: Format::new().set_align(FormatAlign::Center),
        title: Format::new().set_bold().set_font_size(13).set_align(FormatAlign::Center).set_text_wrap(),
        head: cell.clone().set_bold().set_align(FormatAlign::Center).set_background_color(0xDDE4EE),
        number: cell.clone().set_align(FormatAlign::Right),
        cell,
    }
}

/// Writes the header block over columns 0..=last; returns the next free row.
fn header(ws: &mut Worksheet, r: &Consolidated, s: &Styles, last: u16) -> Result<u32, XlsxError> {
    let mid = last / 2;
    ws.merge_range(0, 0, 0, mid - 1, &r.header.issuer, &s.center)?;
    ws.merge_range(1, 0, 1, mid - 1, &r.header.sub_issuer, &s.bold_center)?;
    ws.merge_range(2, 0, 2, mid - 1, &r.header.number, &s.center)?;
    ws.merge_range(0, mid, 0, last, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", &s.bold_center)?;
    ws.merge_range(1, mid, 1, last, "Độc lập - Tự do - Hạnh phúc", &s.bold_center)?;
    ws.merge_range(2, mid, 2, last, &r.place_and_date(), &s.center)?;
    ws.merge_range(4, 0, 4, last, &r.title(), &s.title)?;
    ws.set_row_height(4, 36)?;
    Ok(6)
}

/// Writes a table (header row + rows) from `row`, setting the column widths; returns the next row.
fn table(
    ws: &mut Worksheet,
    s: &Styles,
    row: u32,
    heads: &[(&str, f64)],
    rows: &[Vec<String>],
) -> Result<u32, XlsxError> {
    for (c, (h, w)) in heads.iter().enumerate() {
        ws.write_string_with_format(row, c as u16, *h, &s.head)?;
        ws.set_column_width(c as u16, *w)?;
    }
    for (i, cells) in rows.iter().enumerate() {
        for (c, v) in cells.iter().enumerate() {
            let at = (row + 1 + i as u32, c as u16);
            match v.parse::<f64>() {
                Ok(n) if !v.starts_with('0') || v == "0" => ws.write_number_with_format(at.0, at.1, n, &s.number)?,
                _ => ws.write_string_with_format(at.0, at.1, v, &s.cell)?,
            };
        }
    }
    Ok(row + 1 + rows.len() as u32)
}

/// The workbook's bytes.
pub fn write(r: &Consolidated) -> Result<Vec<u8>, AppError> {
    let s = styles();
    let mut wb = Workbook::new();
    let units: Vec<Vec<String>> = r
        .units
        .iter()
        .map(|u| {
            vec![
                u.rank.to_string(),
                u.unit_name.clone(),
                u.registrations.to_string(),
                u.approved.to_string(),
                Consolidated::status_label(u.report_status).to_string(),
                u.submitted_on.clone().unwrap_or_default(),
                match u.on_time {
                    Some(true) => "Đúng hạn",
                    Some(false) => "Muộn",
                    None => "Chưa nộp",
                }
                .to_string(),
                Consolidated::percent(u.progress),
                format!("{:.1}", u.score),
            ]
        })
        .collect();
    {
        let ws = wb.add_worksheet().set_name("Tổng hợp").map_err(err)?;
        let mut row = header(ws, r, &s, 8).map_err(err)?;
        let summary = format!(
            "Tổng số đơn vị: {}; đã đăng ký mô hình: {}; chưa đăng ký: {}.",
            r.total_units,
            r.total_units - r.not_registered,
            r.not_registered
        );
        ws.write_string(row, 0, "I. TÌNH HÌNH ĐĂNG KÝ VÀ BÁO CÁO CỦA CÁC ĐƠN VỊ").map_err(err)?;
        ws.write_string(row + 1, 0, &summary).map_err(err)?;
        row += 2;
        let heads = [
            ("Hạng", 7.0),
            ("Đơn vị", 36.0),
            ("Số mô hình đăng ký", 12.0),
            ("Đã được duyệt", 10.0),
            ("Trạng thái báo cáo", 14.0),
            ("Ngày nộp", 12.0),
            ("Thời hạn", 11.0),
            ("Tiến độ chỉ tiêu", 11.0),
            ("Điểm", 8.0),
        ];
        table(ws, &s, row, &heads, &units).map_err(err)?;
    }
    {
        let ws = wb.add_worksheet().set_name("Chỉ tiêu toàn tỉnh").map_err(err)?;
        let province: Vec<Vec<String>> =
            r.province_kpis.iter().map(|k| vec![k.name.clone(), k.value.clone(), k.definition.clone()]).collect();
        table(ws, &s, 0, &[("Chỉ tiêu", 40.0), ("Giá trị", 22.0), ("Cách tính", 90.0)], &province).map_err(err)?;
    }
    {
        let ws = wb.add_worksheet().set_name("Chỉ tiêu đơn vị").map_err(err)?;
        let rows: Vec<Vec<String>> = r
            .kpis
            .iter()
            .map(|k| {
                vec![
                    k.unit_name.clone(),
                    format!("Mô hình {}", k.model_id),
                    k.kpi_name.clone(),
                    k.target.clone(),
                    k.deadline.clone(),
                    k.value.clone(),
                    Consolidated::percent(k.progress),
                ]
            })
            .collect();
        let heads = [
            ("Đơn vị", 30.0),
            ("Mô hình", 12.0),
            ("Chỉ tiêu", 50.0),
            ("Mục tiêu", 10.0),
            ("Thời hạn", 12.0),
            ("Kết quả", 22.0),
            ("Tiến độ", 10.0),
        ];
        table(ws, &s, 0, &heads, &rows).map_err(err)?;
    }
    {
        let ws = wb.add_worksheet().set_name("Xếp hạng").map_err(err)?;
        let rows: Vec<Vec<String>> =
            r.units.iter().map(|u| vec![u.rank.to_string(), u.unit_name.clone(), format!("{:.1}", u.score)]).collect();
        table(ws, &s, 0, &[("Hạng", 7.0), ("Đơn vị", 40.0), ("Điểm", 10.0)], &rows).map_err(err)?;
    }
    wb.save_to_buffer().map_err(err)
}
