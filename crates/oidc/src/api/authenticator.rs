//! Lets organizations' systems call the platform's APIs with client-credentials access tokens:
//! such a token resolves to the organization (role `org_staff`, jurisdiction = the organization)
//! limited to the token's scopes. Every other credential goes to the wrapped authenticator.

use std::sync::Arc;

use futures::future::BoxFuture;
use kernel::{Actor, Jurisdiction, Role};
use web::auth::{Authenticator, Credential};
use web::CurrentUser;

use crate::provider::Provider;
use crate::scopes;

/// Client-credentials tokens first, then the inner authenticator (sessions, personal tokens).
pub struct OAuthAuthenticator {
    pub provider: Provider,
    pub inner: Arc<dyn Authenticator>,
}

impl OAuthAuthenticator {
    /// Every request with a `dat_` bearer comes through here, userinfo calls included (they are
    /// users' tokens and resolve to nobody), so the token is read through the coalesced lookup
    /// rather than with a query of its own.
    async fn client_token(&self, token: &str) -> Option<CurrentUser> {
        let p = &self.provider;
        let t = p.access.get(token).await.ok()??.token;
        if t.account_id.is_some() {
            return None;
        }
        let client = p.clients.get(&p.db, &t.client_id, kernel::clock::now_ms()).await.ok()??;
        let org = client.organization_id.clone()?;
        let actor = Actor {
            account_id: format!("client:{}", client.id),
            login: client.id.clone(),
            display_name: client.name.clone(),
            role: Role::OrgStaff,
            jurisdiction: Jurisdiction::Own(org.clone()),
            organization_id: Some(org),
            eid_level: 0,
            amr: Vec::new(),
            scopes: Some(scopes::split(&t.scope)),
        };
        Some(CurrentUser { actor, csrf: None })
    }
}

impl Authenticator for OAuthAuthenticator {
    fn authenticate<'a>(&'a self, credential: Credential<'a>) -> BoxFuture<'a, Option<CurrentUser>> {
        Box::pin(async move {
            match credential {
                Credential::Bearer(t) if t.starts_with("dat_") => self.client_token(t).await,
                other => self.inner.authenticate(other).await,
            }
        })
    }
}
