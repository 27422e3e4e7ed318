//! Filing by a signed-in citizen (web page or API): the e-ID level the procedure needs, the
//! registry pre-fill, then the draft or submission. Pages and the API share this path.

use std::collections::BTreeMap;

use kernel::Actor;
use kernel::{AppError, ErrorCode};

use crate::applications::{file, query, Application, Channel, FileError, Filing};
use crate::catalogue::{store, Procedure};
use crate::prefill::Prefilled;
use crate::Service;

/// The procedure, after checking the citizen's e-ID level allows applying online.
pub async fn procedure_for(s: &Service, user: &Actor, code: &str) -> Result<Procedure, AppError> {
    let p = store::get(&s.stores.db, code).await?.ok_or_else(|| AppError::not_found("no such procedure"))?;
    let level = identity::account_by_id(&s.stores.db, &user.account_id).await?.map(|a| a.level).unwrap_or(0);
    if level < p.min_level {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            format!("this procedure needs an e-ID of level {}; yours is level {level}", p.min_level),
        ));
    }
    Ok(p)
}

/// The citizen's registry data for the procedure (logged at `now`, UTC milliseconds).
pub async fn prefill(s: &Service, user: &Actor, p: &Procedure, now: i64) -> Result<Prefilled, AppError> {
    let person = query::citizen_person(user)?;
    crate::prefill::load(&s.stores, user, person, p, "web", now).await
}

/// Creates the application, or updates the citizen's draft `existing`. `now` is UTC milliseconds,
/// the time of filing, passed so tests can fix time.
#[allow(clippy::too_many_arguments)]
pub async fn file(
    s: &Service,
    user: &Actor,
    code: &str,
    answers: &BTreeMap<String, String>,
    by_official: bool,
    submit: bool,
    existing: Option<&Application>,
    now: i64,
) -> Result<Application, FileError> {
    let p = match existing {
        Some(app) => store::get_version(&s.stores.db, &app.procedure_code, app.procedure_version)
            .await?
            .ok_or_else(|| AppError::internal("procedure version missing"))?,
        None => procedure_for(s, user, code).await?,
    };
    let pre = prefill(s, user, &p, now).await?;
    let label = user.actor_label();
    let filing = Filing {
        procedure: &p,
        applicant: &pre.person,
        prefill: &pre.items,
        account_id: Some(&user.account_id),
        actor_id: &user.account_id,
        actor_label: &label,
        channel: Channel::Online,
        by_official,
        answers,
        submit,
        now,
    };
    match existing {
        Some(app) => file::update_draft(&s.stores.db, app, &filing).await,
        None => file::create(&s.stores.db, &filing).await,
    }
}
