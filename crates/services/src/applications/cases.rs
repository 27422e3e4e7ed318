//! Which persons an application names, for the registry's need-to-know rule: a one-stop desk
//! officer may open the record of the applicant and of the persons named in an application of
//! their inbox, and no one else's.

use db::sqlx;
use db::{Arg, Db, Filter};
use futures::future::BoxFuture;
use kernel::{Actor, AppError};
use serde_json::Value;

use super::model::{from_row, COLUMNS};
use super::query::officer_scope;
use crate::catalogue::{store, FieldKind};

/// True when the application with this receipt code is in the officer's inbox and `personal_id`
/// is its applicant or the value of one of its personal-id fields (the other parent, the
/// deceased, the spouse…). An application outside the inbox answers false, like an unknown code.
pub async fn names_person(db: &Db, officer: &Actor, receipt_code: &str, personal_id: &str) -> Result<bool, AppError> {
    let mut f = Filter::new();
    f.and("a.receipt_code = ?", Arg::Text(receipt_code.to_string()));
    officer_scope(officer, &mut f)?;
    let sql = format!("SELECT {COLUMNS} FROM svc_applications a WHERE {}", f.sql());
    let Some(app) = f.bind(sqlx::query(&sql)).fetch_optional(db.read()).await?.as_ref().map(from_row) else {
        return Ok(false);
    };
    if app.applicant_person_id == personal_id {
        return Ok(true);
    }
    let Some(procedure) = store::get_version(db, &app.procedure_code, app.procedure_version).await? else {
        return Ok(false);
    };
    Ok(procedure
        .fields
        .iter()
        .filter(|field| field.kind == FieldKind::PersonalId)
        .any(|field| app.answers.get(&field.name).and_then(Value::as_str) == Some(personal_id)))
}

/// The registry's [`registry::access::CaseFiles`] answered from the applications, wired by the
/// binary into the registry's routers.
pub struct ApplicationCases {
    db: Db,
}

impl ApplicationCases {
    pub fn new(db: Db) -> ApplicationCases {
        ApplicationCases { db }
    }
}

impl registry::access::CaseFiles for ApplicationCases {
    fn names_person<'a>(
        &'a self,
        officer: &'a Actor,
        case_ref: &'a str,
        personal_id: &'a str,
    ) -> BoxFuture<'a, Result<bool, AppError>> {
        Box::pin(names_person(&self.db, officer, case_ref, personal_id))
    }
}
