//! Result documents: what the agency issues when it approves an application (a birth
//! certificate, a confirmation, a registration notice). Each document is a JSON payload signed as
//! a compact JWS by the platform's signing key (`typ` = `dancu-document+jwt`), stored with a short
//! verification code. Anyone verifies it at the public page `/documents/verify` by the code
//! printed on the PDF or by scanning its QR code (the page's address with the code), or by
//! presenting the signed JSON to the API; the PDF shows the content in the statutory layout, the
//! officer who signed it, the code and the QR code.

use chrono::Datelike;
use db::sqlx::{self, AnyConnection, Row};
use db::Db;
use kernel::{AppError, ErrorCode};
use keys::{Expect, KeyRing};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The JWS `typ`, so a document cannot be replayed as another kind of token.
pub const TYP: &str = "dancu-document+jwt";

/// One labelled value of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Line {
    pub label: String,
    pub value: String,
}

/// What a document says (the signed payload).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Payload {
    /// Verification code printed on the document.
    pub code: String,
    /// Procedure code.
    pub kind: String,
    pub title: String,
    /// Document number (số).
    pub number: String,
    pub issuer: String,
    pub place: String,
    pub holder_name: String,
    pub holder_id: String,
    pub lines: Vec<Line>,
    /// Receipt code of the application it answers.
    pub application: String,
    /// The approving officer who signs the result, and their title (documents issued before
    /// signers were recorded have none).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signer_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signer_title: String,
    /// Issue time (UTC seconds, as JWT `iat`).
    pub iat: i64,
}

/// A stored document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Document {
    pub payload: Payload,
    pub jws: String,
}

fn new_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    let mut part = || (0..4).filter_map(|_| ALPHABET.choose(&mut rng)).map(|&b| char::from(b)).collect::<String>();
    format!("{}-{}-{}", part(), part(), part())
}

/// Signs and stores a document issued at `now` (UTC milliseconds) inside the caller's
/// transaction; returns it.
pub async fn issue_in(
    tx: &mut AnyConnection,
    ring: &KeyRing,
    application_id: &str,
    mut payload: Payload,
    now: i64,
) -> Result<Document, AppError> {
    payload.code = new_code();
    payload.iat = now / 1000;
    let jws = ring.sign_typed(&payload, TYP).map_err(|e| AppError::internal(format!("signing: {e}")))?;
    sqlx::query(
        "INSERT INTO svc_documents (code, application_id, title, payload, jws, issued_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&payload.code)
    .bind(application_id)
    .bind(&payload.title)
    .bind(serde_json::to_string(&payload)?)
    .bind(&jws)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(Document { payload, jws })
}

/// A stored document by its verification code (codes are case-insensitive).
pub async fn by_code(db: &Db, code: &str) -> Result<Option<Document>, AppError> {
    let row = sqlx::query("SELECT jws, payload FROM svc_documents WHERE code = $1")
        .bind(code.trim().to_uppercase())
        .fetch_optional(db.read())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let payload = serde_json::from_str(&row.get::<String, _>(1))?;
    Ok(Some(Document { jws: row.get(0), payload }))
}

/// Checks a presented signed document: the signature must verify with a key of the platform,
/// the `typ` must be a document's, and the platform must hold a document with its code and
/// the same content.
pub async fn verify(db: &Db, ring: &KeyRing, jws: &str) -> Result<Payload, AppError> {
    let header = jsonwebtoken::decode_header(jws.trim()).map_err(|_| AppError::invalid("not a signed document"))?;
    if header.typ.as_deref() != Some(TYP) {
        return Err(AppError::invalid("not a signed document (typ)"));
    }
    let payload: Payload = ring
        .verify(jws.trim(), &Expect::new().without_required_exp())
        .map_err(|e| AppError::new(ErrorCode::Forbidden, format!("signature does not verify: {e}")))?;
    let stored = by_code(db, &payload.code).await?.ok_or_else(|| AppError::not_found("no document with this code"))?;
    if stored.payload != payload {
        return Err(AppError::new(ErrorCode::Conflict, "the content differs from the issued document"));
    }
    Ok(payload)
}

/// `Xã …, ngày dd tháng mm năm yyyy` of an issue time.
pub fn place_and_date(place: &str, iat: i64) -> String {
    let d = kernel::clock::ms_to_vn(iat * 1000);
    format!("{place}, ngày {:02} tháng {:02} năm {}", d.day(), d.month(), d.year())
}

/// The address a document's QR code carries: the public verification page with its code, which
/// checks the stored signature again and shows what was issued.
pub fn verification_link(verify_url: &str, code: &str) -> String {
    format!("{verify_url}?code={code}")
}

/// The modules of a QR code for `text` (medium error correction), `dark[row][column]`.
pub fn qr_modules(text: &str) -> Result<Vec<Vec<bool>>, AppError> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| AppError::internal(format!("qr code: {e}")))?;
    let width = code.width();
    let colors = code.to_colors();
    Ok(colors.chunks(width).map(|row| row.iter().map(|c| *c == qrcode::Color::Dark).collect()).collect())
}

/// The document as a PDF in administrative form: heading, title, the content in the order of the
/// statutory form, the signer's block, and the verification code with its QR code.
pub fn pdf(doc: &Document, verify_url: &str) -> Result<Vec<u8>, AppError> {
    let p = &doc.payload;
    let mut l = paper::Layout::new()?;
    l.heading(&p.issuer.to_uppercase(), "", &format!("Số: {}", p.number), &place_and_date(&p.place, p.iat));
    l.paragraph(&p.title.to_uppercase(), 13.0, true, true);
    l.y += 10.0;
    let mut rows = Vec::new();
    // A birth certificate's lines name the child first; other results are about the applicant.
    if !p.lines.iter().any(|x| x.value == p.holder_id) {
        rows.push(vec!["Họ, chữ đệm và tên".to_string(), p.holder_name.clone()]);
        rows.push(vec!["Số định danh cá nhân".to_string(), p.holder_id.clone()]);
    }
    rows.extend(p.lines.iter().map(|x| vec![x.label.clone(), x.value.clone()]));
    rows.push(vec!["Mã hồ sơ".to_string(), p.application.clone()]);
    l.table(&[("Nội dung", 170.0), ("Thông tin", 325.0)], &rows);
    l.y += 14.0;
    const QR_SIDE: f32 = 96.0;
    l.ensure(QR_SIDE + 40.0);
    let top = l.y;
    let link = verification_link(verify_url, &p.code);
    l.matrix(paper::MARGIN, top, QR_SIDE, &qr_modules(&link)?);
    // The signer's block keeps to the page's right part, clear of the QR code's caption.
    const SIGNER_WIDTH: f32 = 210.0;
    let caption_x = paper::MARGIN + QR_SIDE + 10.0;
    let caption_width = paper::PAGE_W - paper::MARGIN - SIGNER_WIDTH - 10.0 - caption_x;
    l.text(caption_x, top + 14.0, 10.0, true, &format!("Mã xác minh: {}", p.code));
    let mut cy = top + 28.0;
    let caption = format!("Quét mã QR hoặc nhập mã tại {verify_url} để kiểm tra văn bản này.");
    for line in l.wrap(&caption, 8.0, false, caption_width) {
        l.text(caption_x, cy, 8.0, false, &line);
        cy += 11.0;
    }
    let right = paper::PAGE_W - paper::MARGIN - SIGNER_WIDTH / 2.0;
    let mut y = top + 14.0;
    for line in l.wrap(&p.signer_title.to_uppercase(), 10.0, true, SIGNER_WIDTH) {
        if !line.is_empty() {
            l.centered(right, y, 10.0, true, &line);
            y += 13.0;
        }
    }
    l.centered(right, y, 9.0, false, "(Đã ký số trên hệ thống)");
    if !p.signer_name.is_empty() {
        l.centered(right, y + 50.0, 10.0, true, &p.signer_name);
    }
    l.y = (top + QR_SIDE).max(y + 50.0).max(cy);
    paper::write(&l)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate() -> Document {
        let line = |l: &str, v: &str| Line { label: l.into(), value: v.into() };
        Document {
            payload: Payload {
                code: "ABCD-EFGH-JKLM".into(),
                kind: "birth_registration".into(),
                title: "Giấy khai sinh điện tử".into(),
                number: "08001-261201-ABC234".into(),
                issuer: "Ủy ban nhân dân cấp xã Phường Hà Giang 1".into(),
                place: "Phường Hà Giang 1".into(),
                holder_name: "Lê Gia Bảo".into(),
                holder_id: "008226012345".into(),
                lines: vec![
                    line("Họ, chữ đệm, tên", "Lê Gia Bảo"),
                    line("Số định danh cá nhân", "008226012345"),
                    line("Nơi thường trú của trẻ", "Số 5, tổ 3, Phường Hà Giang 1, Tỉnh Tuyên Quang"),
                ],
                application: "08001-261201-ABC234".into(),
                signer_name: "Nguyễn Thị Mai".into(),
                signer_title: "Công chức một cửa — Ủy ban nhân dân cấp xã Phường Hà Giang 1".into(),
                iat: 1_796_000_000,
            },
            jws: "eyJhbGciOiJFUzI1NiJ9.eyJjb2RlIjoiQUJDRCJ9.c2lnbmF0dXJl".into(),
        }
    }

    #[test]
    fn the_pdf_shows_the_content_the_signer_and_the_code_but_not_the_jws() {
        let pdf = pdf(&certificate(), "https://dancu.example.vn/documents/verify").unwrap();
        let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for expected in ["GIẤY KHAI SINH ĐIỆN TỬ", "Nguyễn Thị Mai", "Mã xác minh: ABCD-EFGH-JKLM", "Tỉnh Tuyên Quang"]
        {
            assert!(flat.contains(expected), "{expected} missing from: {flat}");
        }
        assert!(!flat.contains("eyJ"), "the JWS is verified through the QR code, not printed");
        assert!(!flat.contains("Hộ "), "the residence is an address");
    }

    #[test]
    fn the_qr_code_holds_the_verification_link() {
        let link = verification_link("https://dancu.example.vn/documents/verify", "ABCD-EFGH-JKLM");
        assert_eq!(link, "https://dancu.example.vn/documents/verify?code=ABCD-EFGH-JKLM");
        let m = qr_modules(&link).unwrap();
        assert!(m.len() >= 25 && m.iter().all(|row| row.len() == m.len()), "a square QR symbol");
        assert!(m[0][..7].iter().all(|d| *d), "finder pattern in the corner");
    }
}
