//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): when a relying party's request may
//! end the citizen's session at once, and where the user goes afterwards.
//!
//! A logout request is a plain link: any site can send a browser to it. So the session ends without
//! asking only when the request carries an ID token we issued, to a known client, for the very
//! account signed in now (its `sub` is that account's subject at the client). Otherwise the citizen
//! is asked first, and the session ends only when they confirm with the session's CSRF token.

use std::sync::Arc;

use serde::Deserialize;

use crate::clients::Client;
use crate::provider::Provider;

/// What a verified `id_token_hint` says.
#[derive(Debug, Clone)]
pub struct Hint {
    /// The client the ID token was issued to.
    pub client: Arc<Client>,
    /// The subject it names (pairwise or public, as the client sees the account).
    pub sub: String,
}

#[derive(Deserialize)]
struct HintClaims {
    aud: String,
    sub: String,
}

/// Reads an ID token hint: signed by this provider (expired ones too, for a year: a logout often
/// comes long after the sign-in), issued to a client that is registered and enabled at `now`
/// (UTC milliseconds). Anything else — unsigned, tampered, unknown client — is no hint at all.
pub async fn read_hint(p: &Provider, id_token_hint: Option<&str>, now: i64) -> Option<Hint> {
    let expect = keys::Expect::new().issuer(p.issuer.to_string()).without_required_exp().leeway(365 * 24 * 3600);
    let claims: HintClaims = p.keys.verify(id_token_hint?, &expect).ok()?;
    let client = p.clients.get(&p.db, &claims.aud, now).await.ok().flatten()?;
    client.disabled_at.is_none().then_some(Hint { client, sub: claims.sub })
}

/// Whether the request may end the session of `account_id` without asking the citizen: only with a
/// hint naming that account (its subject at the hint's client, with the provider's `salt`).
pub fn ends_without_asking(hint: Option<&Hint>, account_id: &str, salt: &str) -> bool {
    hint.is_some_and(|h| kernel::secret::ct_eq(&h.sub, crate::claims::subject(&h.client, account_id, salt)))
}

/// Where the user goes once signed out: the `post_logout_redirect_uri`, with `state`, only when the
/// hint's client registered it exactly; otherwise nowhere (the provider's own page).
pub fn return_to(hint: Option<&Hint>, post_logout_redirect_uri: Option<&str>, state: Option<&str>) -> Option<String> {
    let (hint, uri) = (hint?, post_logout_redirect_uri?);
    if !hint.client.post_logout_redirect_uris.iter().any(|u| u == uri) {
        return None;
    }
    let mut url = uri.to_string();
    if let Some(query) = state.and_then(|s| serde_urlencoded::to_string([("state", s)]).ok()) {
        url.push(if uri.contains('?') { '&' } else { '?' });
        url.push_str(&query);
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(sub: &str, subject_type: &str) -> Hint {
        Hint {
            client: Arc::new(Client {
                post_logout_redirect_uris: vec!["https://rp.example/bye".into()],
                subject_type: subject_type.into(),
                ..Client::sample()
            }),
            sub: sub.into(),
        }
    }

    #[test]
    fn only_a_hint_for_the_signed_in_account_skips_the_question() {
        let mine = hint(&crate::claims::subject(&hint("", "pairwise").client, "acc-1", "salt"), "pairwise");
        assert!(ends_without_asking(Some(&mine), "acc-1", "salt"));
        assert!(!ends_without_asking(Some(&mine), "acc-2", "salt"), "another account's ID token");
        assert!(!ends_without_asking(None, "acc-1", "salt"), "no hint: ask");
        assert!(ends_without_asking(Some(&hint("acc-1", "public")), "acc-1", "salt"));
    }

    #[test]
    fn returns_only_to_a_registered_address() {
        let h = hint("s", "pairwise");
        assert_eq!(
            return_to(Some(&h), Some("https://rp.example/bye"), Some("a b&c")).as_deref(),
            Some("https://rp.example/bye?state=a+b%26c")
        );
        assert_eq!(return_to(Some(&h), Some("https://evil.example/bye"), None), None);
        assert_eq!(return_to(None, Some("https://rp.example/bye"), None), None);
    }
}
