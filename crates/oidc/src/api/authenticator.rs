//! Lets OAuth access tokens call the platform's APIs:
//! - a client-credentials token of an organization's system resolves to the organization (role
//!   `org_staff`, jurisdiction = the organization) limited to the token's API scopes;
//! - a token a citizen gave an app through sign-in and consent resolves to that citizen, limited
//!   to the token's delegated scopes (`services`: docs/SERVICES.md); `web::auth` lets such a
//!   credential reach only the API its scopes name. A sign-in token without a delegated scope
//!   calls userinfo only and resolves to nobody here.
//!
//! Every other credential goes to the wrapped authenticator.

use std::sync::Arc;

use futures::future::BoxFuture;
use kernel::{Actor, Jurisdiction, Role};
use web::auth::{Authenticator, Credential};
use web::CurrentUser;

use crate::access_lookup::Bearer;
use crate::provider::Provider;
use crate::scopes::{self, ScopeKind};

/// OAuth access tokens first, then the inner authenticator (sessions, personal tokens).
pub struct OAuthAuthenticator {
    pub provider: Provider,
    pub inner: Arc<dyn Authenticator>,
}

impl OAuthAuthenticator {
    /// Every request with a `dat_` bearer comes through here, userinfo calls included (sign-in
    /// tokens, which resolve to nobody), so the token is read through the coalesced lookup
    /// rather than with a query of its own.
    async fn access_token(&self, token: &str) -> Option<CurrentUser> {
        let bearer = self.provider.access.get(token).await.ok()??;
        if bearer.token.account_id.is_some() {
            return delegated(bearer);
        }
        let p = &self.provider;
        let t = bearer.token;
        let client = p.clients.get(&p.db, &t.client_id, kernel::clock::now_ms()).await.ok()??;
        let org = client.organization_id.clone()?;
        // Only API scopes act for an organization, whatever a token row may hold.
        let api: Vec<String> = scopes::split(&t.scope).into_iter().filter(|s| scopes::is(s, ScopeKind::Api)).collect();
        let actor = Actor {
            account_id: format!("client:{}", client.id),
            login: client.id.clone(),
            display_name: client.name.clone(),
            role: Role::OrgStaff,
            jurisdiction: Jurisdiction::Own(org.clone()),
            organization_id: Some(org),
            eid_level: 0,
            amr: Vec::new(),
            scopes: Some(api),
        };
        Some(CurrentUser { actor, csrf: None })
    }
}

/// The citizen behind a token they gave an app, limited to its delegated scopes, at the e-ID
/// level of the sign-in that granted it (never above the account's level today).
fn delegated(bearer: Bearer) -> Option<CurrentUser> {
    let granted: Vec<String> =
        scopes::split(&bearer.token.scope).into_iter().filter(|s| scopes::is(s, ScopeKind::Delegated)).collect();
    if granted.is_empty() {
        return None;
    }
    let account = bearer.account?;
    if account.role != Role::Citizen || !account.is_active() {
        return None;
    }
    let signed_in_at = bearer.token.acr.as_deref().and_then(crate::level_of_acr).unwrap_or(0);
    let mut actor = account.to_actor(Vec::new());
    actor.eid_level = actor.eid_level.min(signed_in_at);
    actor.scopes = Some(granted);
    Some(CurrentUser { actor, csrf: None })
}

impl Authenticator for OAuthAuthenticator {
    fn authenticate<'a>(&'a self, credential: Credential<'a>) -> BoxFuture<'a, Option<CurrentUser>> {
        Box::pin(async move {
            match credential {
                Credential::Bearer(t) if t.starts_with("dat_") => self.access_token(t).await,
                other => self.inner.authenticate(other).await,
            }
        })
    }
}
