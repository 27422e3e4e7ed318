//! Who may do what in the lodging module, and the access-log entry of every read of a guest's
//! data. Shared by the JSON API, the pages and the domain operations that read the registry.

use kernel::{Actor, AppError, Jurisdiction, Role};

use crate::Service;

/// Police roles that read notifications and decide on facilities.
pub const POLICE: &[Role] = &[Role::Admin, Role::ProvincialOfficer, Role::CommunePolice];

/// Everyone who may read facilities: police within their area, staff for their organization.
pub const READERS: &[Role] = &[Role::Admin, Role::ProvincialOfficer, Role::CommunePolice, Role::OrgStaff];

/// OAuth scope a client-credentials token needs to use the lodging module.
const SCOPE: &str = "lodging";

/// Requires one of `roles` and, for scope-limited tokens, the `lodging` scope.
#[track_caller]
pub fn allow(user: &Actor, roles: &[Role]) -> Result<(), AppError> {
    user.require(roles)?;
    user.require_scope(SCOPE)
}

/// The organization a staff account acts for (staff only).
#[track_caller]
pub fn organization(user: &Actor) -> Result<&str, AppError> {
    allow(user, &[Role::OrgStaff])?;
    match &user.jurisdiction {
        Jurisdiction::Own(org) => Ok(org),
        _ => Err(AppError::forbidden("organization staff only")),
    }
}

/// The personal id of the signed-in citizen (citizens only).
#[track_caller]
pub fn citizen(user: &Actor) -> Result<&str, AppError> {
    user.require(&[Role::Citizen])?;
    match &user.jurisdiction {
        Jurisdiction::Own(id) => Ok(id),
        _ => Err(AppError::forbidden("citizens only")),
    }
}

/// What one access-log entry says about a read: action, purpose, released fields, channel.
pub struct Read<'a> {
    pub action: &'a str,
    pub purpose: &'a str,
    pub released: &'a str,
    pub channel: &'a str,
}

/// Writes the access-log entry of `user` reading `subject`'s data at `now` (UTC ms); returns once
/// it is durable, so the data is released after its entry.
pub async fn log_read(s: &Service, user: &Actor, subject: String, read: &Read<'_>, now: i64) -> Result<(), AppError> {
    log_reads(s, user, vec![subject], read, now).await
}

/// [`log_read`] for several subjects with one wait (the guests of one list or one check-in).
pub async fn log_reads(
    s: &Service,
    user: &Actor,
    subjects: Vec<String>,
    read: &Read<'_>,
    now: i64,
) -> Result<(), AppError> {
    let entries = subjects
        .into_iter()
        .map(|subject| audit::AccessEntry {
            at: now,
            actor_id: user.account_id.clone(),
            actor_label: user.actor_label(),
            subject_id: subject,
            action: read.action.into(),
            purpose: read.purpose.into(),
            released: read.released.into(),
            channel: read.channel.into(),
        })
        .collect();
    s.stores.access_log.record_all(entries).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_and_citizens_are_bound_to_their_own() {
        let mut staff = Actor::new("a", "s", Role::OrgStaff, Jurisdiction::Own("org-1".into()));
        assert_eq!(organization(&staff).unwrap(), "org-1");
        assert_eq!(citizen(&staff).unwrap_err().code, kernel::ErrorCode::Forbidden);
        staff.scopes = Some(vec!["verify".into()]);
        assert_eq!(organization(&staff).unwrap_err().code, kernel::ErrorCode::Forbidden);
        let police = Actor::new("b", "p", Role::CommunePolice, Jurisdiction::Commune("00691".into()));
        assert!(allow(&police, POLICE).is_ok());
        assert!(organization(&police).is_err());
        let c = Actor::new("c", "c", Role::Citizen, Jurisdiction::Own("001200000001".into()));
        assert_eq!(citizen(&c).unwrap(), "001200000001");
    }
}
