//! Result documents: what the agency issues when it approves an application (a birth
//! certificate, a confirmation, a registration notice). Each document is a JSON payload signed as
//! a compact JWS by the platform's signing key (`typ` = `dancu-document+jwt`), stored with a short
//! verification code. Anyone verifies it at the public page `/documents/verify` by the code
//! printed on the PDF, or by presenting the signed JSON to the API; the PDF shows the content, the
//! code and the signature.

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

/// The document as a PDF in administrative form, with its verification code and signature.
pub fn pdf(doc: &Document, verify_url: &str) -> Result<Vec<u8>, AppError> {
    let p = &doc.payload;
    let mut l = paper::Layout::new()?;
    l.heading(&p.issuer.to_uppercase(), "", &format!("Số: {}", p.number), &place_and_date(&p.place, p.iat));
    l.paragraph(&p.title.to_uppercase(), 13.0, true, true);
    l.y += 10.0;
    let mut rows = vec![
        vec!["Họ, chữ đệm và tên".to_string(), p.holder_name.clone()],
        vec!["Số định danh cá nhân".to_string(), p.holder_id.clone()],
    ];
    rows.extend(p.lines.iter().map(|x| vec![x.label.clone(), x.value.clone()]));
    rows.push(vec!["Mã hồ sơ".to_string(), p.application.clone()]);
    l.table(&[("Nội dung", 170.0), ("Thông tin", 325.0)], &rows);
    l.y += 10.0;
    l.paragraph(&format!("Mã xác minh: {}", p.code), 11.0, true, false);
    l.paragraph(&format!("Kiểm tra tính xác thực tại {verify_url}?code={}", p.code), 9.0, false, false);
    l.y += 6.0;
    l.paragraph("Chữ ký số của hệ thống (JWS, ES256):", 8.0, true, false);
    l.paragraph(&doc.jws, 6.5, false, false);
    paper::write(&l)
}
