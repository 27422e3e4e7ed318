"""A relying party built on Authlib (an OAuth/OpenID library written by others) run against dancu.

It does what a real agency service would: discovery, authorization code + PKCE, token exchange,
ID-token validation against the published JWKS, userinfo, refresh, revocation. It also asks for
the `services` scope, as an e-ID app filing applications for the citizen would (docs/SERVICES.md),
and calls the services API with the access token. The only part it
cannot do as a library is be a human, so it signs in and consents through the HTML forms.

Usage: authlib_rp.py BASE CLIENT_ID CLIENT_SECRET REDIRECT_URI LOGIN PASSWORD
Prints one JSON object with what it saw; exits non-zero on any failure.
"""
import html
import json
import re
import sys
from urllib.parse import parse_qs, urlparse

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.common.security import generate_token

base, client_id, client_secret, redirect_uri, login, password = sys.argv[1:7]


def hidden(page, name):
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), page)
    if not m:
        raise SystemExit("no hidden field %s" % name)
    return html.unescape(m.group(1))


class Browser:
    """Keeps cookies by hand: requests will not send __Host-/Secure cookies over plain http."""

    def __init__(self):
        self.cookies = {}

    def _keep(self, r):
        for c in r.raw.headers.getlist("Set-Cookie"):
            k, _, v = c.split(";")[0].partition("=")
            if v:
                self.cookies[k] = v
            else:
                self.cookies.pop(k, None)
        return r

    def _headers(self):
        return {"Cookie": "; ".join("%s=%s" % kv for kv in self.cookies.items())}

    def get(self, url):
        url = url if url.startswith("http") else base + url
        return self._keep(requests.get(url, headers=self._headers(), allow_redirects=False))

    def post(self, url, data):
        url = url if url.startswith("http") else base + url
        return self._keep(requests.post(url, data=data, headers=self._headers(), allow_redirects=False))


meta = requests.get(base + "/.well-known/openid-configuration").json()
assert meta["issuer"] == base, meta["issuer"]

client = OAuth2Session(
    client_id,
    client_secret,
    scope="openid profile personal_id offline_access services",
    redirect_uri=redirect_uri,
    code_challenge_method="S256",
    token_endpoint_auth_method="client_secret_basic",
)
verifier = generate_token(64)
nonce = generate_token(16)
url, state = client.create_authorization_url(
    meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
)

b = Browser()
page = b.get("/login").text
r = b.post("/login", {"csrf": hidden(page, "csrf"), "login": login, "password": password})
assert r.status_code == 303, r.status_code

r = b.get(url)
if r.status_code == 200:  # consent
    consent = r.text
    r = b.post(
        "/oidc/authorize/decision",
        {"csrf": hidden(consent, "csrf"), "request": hidden(consent, "request"), "decision": "allow", "remember": "on"},
    )
assert r.status_code == 303, r.status_code
callback = r.headers["Location"]
assert callback.startswith(redirect_uri), callback
assert parse_qs(urlparse(callback).query)["iss"] == [base]

token = client.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)

jwks = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"]).json())
claims = jwt.decode(
    token["id_token"],
    jwks,
    claims_options={
        "iss": {"essential": True, "value": base},
        "aud": {"essential": True, "value": client_id},
        "nonce": {"essential": True, "value": nonce},
    },
)
claims.validate()
header = json.loads(__import__("base64").urlsafe_b64decode(token["id_token"].split(".")[0] + "=="))

userinfo = client.get(meta["userinfo_endpoint"]).json()
assert userinfo["sub"] == claims["sub"]

# The citizen's delegation: their applications through the services API, and nothing else of theirs.
mine = client.get(base + "/api/v1/services/applications/mine")
me = client.get(base + "/api/v1/me")

refreshed = client.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
assert refreshed["access_token"] != token["access_token"]
assert refreshed["refresh_token"] != token["refresh_token"]

rv = client.revoke_token(meta["revocation_endpoint"], token=refreshed["access_token"], token_type_hint="access_token")
assert rv.status_code == 200, rv.status_code
after = requests.get(meta["userinfo_endpoint"], headers={"Authorization": "Bearer " + refreshed["access_token"]})

print(
    json.dumps(
        {
            "alg": header["alg"],
            "acr": claims["acr"],
            "sub": claims["sub"],
            "personal_id": userinfo.get("personal_id"),
            "name": userinfo.get("name"),
            "refreshed": True,
            "userinfo_after_revoke": after.status_code,
            "scope": token.get("scope"),
            "services_mine": mine.status_code,
            "services_items": len(mine.json().get("items", [])) if mine.status_code == 200 else None,
            "me": me.status_code,
        },
        ensure_ascii=False,
    )
)
