//! The applicant's satisfaction rating (đánh giá mức độ hài lòng): 1 to 5 stars with an optional
//! comment, given once an application has its result (approved or refused), once per application
//! (the table's primary key decides, so two clicks cannot rate twice). The monthly figures count
//! the ratings and their mean ([`crate::stats`]).

use db::sqlx::{self, Row};
use db::Db;
use kernel::{AppError, ErrorCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::applications::model::{status, Application};

/// Longest comment kept.
const MAX_COMMENT: usize = 1000;

/// A rating as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Rating {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub stars: i64,
    #[serde(default)]
    pub comment: String,
}

/// True when the application has a result to rate.
pub fn can_rate(app: &Application) -> bool {
    app.status == status::APPROVED || app.status == status::REJECTED
}

/// Records the applicant's rating of `app` at `now` (UTC milliseconds).
pub async fn rate(db: &Db, app: &Application, r: &Rating, now: i64) -> Result<Rating, AppError> {
    if !can_rate(app) {
        return Err(AppError::new(ErrorCode::Conflict, "only an application with a result can be rated").with_message(
            "Chỉ đánh giá được hồ sơ đã có kết quả.",
            "Only an application with a result can be rated.",
        ));
    }
    if !(1..=5).contains(&r.stars) {
        return Err(AppError::invalid("stars: 1 to 5")
            .with_message("Chọn mức hài lòng từ 1 đến 5 sao.", "Choose 1 to 5 stars."));
    }
    let comment = kernel::text::normalize_name(&r.comment);
    if comment.chars().count() > MAX_COMMENT || comment.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::invalid(format!("comment: at most {MAX_COMMENT} characters")).with_message(
            format!("Ý kiến tối đa {MAX_COMMENT} ký tự."),
            format!("At most {MAX_COMMENT} characters of comment."),
        ));
    }
    let mut tx = db.begin().await?;
    let inserted =
        sqlx::query("INSERT INTO svc_ratings (application_id, stars, comment, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&app.id)
            .bind(r.stars)
            .bind(&comment)
            .bind(now)
            .execute(&mut *tx)
            .await;
    match inserted {
        Ok(_) => {}
        Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
            return Err(AppError::new(ErrorCode::ServicesAlreadyRated, app.id.clone()));
        }
        Err(e) => return Err(e.into()),
    }
    db::idempotency::bind(&mut tx).await?;
    tx.commit().await?;
    Ok(Rating { stars: r.stars, comment })
}

/// The rating of an application, if it has one.
pub async fn of_application(db: &Db, application_id: &str) -> Result<Option<Rating>, AppError> {
    let row = sqlx::query("SELECT stars, comment FROM svc_ratings WHERE application_id = $1")
        .bind(application_id)
        .fetch_optional(db.read())
        .await?;
    Ok(row.map(|r| Rating { stars: r.get(0), comment: r.get(1) }))
}
