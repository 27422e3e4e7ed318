//! Notices to the applicant when their application changes state (received, more information
//! asked, result issued, refused): a notice in their account, written in the transaction of the
//! change so none is lost or sent for a change that did not happen, and a short message through
//! the SMS/e-mail outbox (`identity::sms`) to the account's confirmed phone once it is committed.
//! The message names the receipt code, the procedure and the state only — no personal data
//! travels over SMS.

use db::sqlx::{self, AnyConnection, Row};
use db::Db;
use kernel::AppError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::applications::model::Application;

/// The state changes an applicant hears about, as notice kinds (the history's event kinds).
pub const KINDS: [&str; 4] = ["accepted", "info_requested", "approved", "rejected"];

/// (Vietnamese, English) wording of a notice of `kind`.
pub fn wording(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "accepted" => ("đã được tiếp nhận và đang giải quyết", "has been received and is being processed"),
        "info_requested" => ("cần bổ sung thông tin", "needs more information from you"),
        "approved" => ("đã có kết quả", "has a result"),
        "rejected" => ("bị từ chối giải quyết", "was refused"),
        _ => ("đã thay đổi trạng thái", "changed state"),
    }
}

/// One notice as the citizen sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notice {
    pub id: String,
    pub application_id: String,
    pub receipt_code: String,
    pub procedure_code: String,
    /// One of [`KINDS`].
    pub kind: String,
    /// The officer's reason or request, when the change has one.
    pub note: String,
    pub created_at: i64,
    pub read: bool,
}

/// The citizen account to notify about an application: the applicant's own account, whether they
/// filed online or at a kiosk or counter (none when they have no account).
pub async fn recipient(db: &Db, app: &Application) -> Result<Option<String>, AppError> {
    Ok(identity::account_by_person(db, &app.applicant_person_id).await?.map(|a| a.id))
}

/// Records a notice of `kind` for `account` inside the caller's transaction, at `now`.
pub async fn add_in(
    tx: &mut AnyConnection,
    account: &str,
    app: &Application,
    kind: &str,
    note: &str,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO svc_notifications (id, account_id, application_id, kind, note, created_at, read_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL)",
    )
    .bind(kernel::ids::new_id())
    .bind(account)
    .bind(&app.id)
    .bind(kind)
    .bind(note)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The text of the outbox message for a notice (Vietnamese, as SMS to citizens are).
pub fn message(app: &Application, procedure: &str, kind: &str, public_url: &str) -> String {
    format!(
        "Dịch vụ công: hồ sơ {} ({procedure}) {}. Tra cứu: {public_url}/services/status",
        app.receipt_code,
        wording(kind).0
    )
}

/// Sends the message to the account's confirmed phone through the outbox; an account without
/// one gets the notice in their account only. A failed send is logged and does not undo the
/// change, which is committed already.
pub async fn send(sms: &dyn identity::sms::SmsSender, db: &Db, account: &str, text: &str) -> Result<(), AppError> {
    let Some(phone) = identity::account_by_id(db, account).await?.and_then(|a| a.phone) else {
        return Ok(());
    };
    sms.send(identity::sms::Channel::for_contact(&phone), &phone, text).await
}

/// The account's notices, newest first (at most 100).
pub async fn list(db: &Db, account: &str) -> Result<Vec<Notice>, AppError> {
    let rows = sqlx::query(
        "SELECT n.id, n.application_id, a.receipt_code, a.procedure_code, n.kind, n.note, n.created_at, n.read_at \
         FROM svc_notifications n JOIN svc_applications a ON a.id = n.application_id \
         WHERE n.account_id = $1 ORDER BY n.created_at DESC, n.id DESC LIMIT 100",
    )
    .bind(account)
    .fetch_all(db.read())
    .await?;
    Ok(rows
        .iter()
        .map(|r| Notice {
            id: r.get(0),
            application_id: r.get(1),
            receipt_code: r.get(2),
            procedure_code: r.get(3),
            kind: r.get(4),
            note: r.get(5),
            created_at: r.get(6),
            read: r.get::<Option<i64>, _>(7).is_some(),
        })
        .collect())
}

/// How many notices of the account are unread.
pub async fn unread(db: &Db, account: &str) -> Result<i64, AppError> {
    let row = sqlx::query("SELECT COUNT(*) FROM svc_notifications WHERE account_id = $1 AND read_at IS NULL")
        .bind(account)
        .fetch_one(db.read())
        .await?;
    Ok(row.get(0))
}

/// Marks every notice of the account read at `now`; returns how many were unread.
pub async fn mark_read(db: &Db, account: &str, now: i64) -> Result<u64, AppError> {
    let n = sqlx::query("UPDATE svc_notifications SET read_at = $1 WHERE account_id = $2 AND read_at IS NULL")
        .bind(now)
        .bind(account)
        .execute(db.write())
        .await?
        .rows_affected();
    Ok(n)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_kind_has_its_own_wording() {
        let mut seen: Vec<&str> = super::KINDS.iter().map(|k| super::wording(k).0).collect();
        seen.dedup();
        assert_eq!(seen.len(), super::KINDS.len());
        assert!(!super::KINDS.contains(&"comment"), "internal comments are not sent to citizens");
    }
}
