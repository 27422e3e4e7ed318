#!/usr/bin/env python3
"""Sample client of the dancu data exchange (docs/EXCHANGE.md), for an agency's developers.

It needs Python 3.9+ and the `cryptography` package (pip install cryptography); everything else is
the standard library, so each step of the message format is visible here:

  keygen   make the subsystem's ES256 key pair: the private key stays with you (PEM file), the
           public JWK is what the province's administrator registers.
  call     sign a request (compact JWS), send it, verify the signed response against the
           platform's published JWKS, then check that the exchange is in the transparency log:
           the signed tree head verifies, and the inclusion proof leads from the entry to its root
           (RFC 9162 §2.1.3.2).

Example:
  python3 exchange_client.py keygen --out key.pem > public.jwk
  python3 exchange_client.py call --base https://dancu.example.gov.vn --key key.pem --kid KID \\
      --member BHXH-08 --subsystem thu-chi --purpose social_insurance \\
      --personal-id 008090000001 --full-name "Nguyễn Văn An" --birth-date 1990-05-01 \\
      --questions living_resident,over_18

`call` prints one JSON object: the verified answer, the request id, the log index and whether the
log proof checked. It exits with status 1 when the platform refuses (printing its error) and 2
when a signature or proof does not verify.
"""

import argparse
import base64
import hashlib
import json
import sys
import time
import urllib.error
import urllib.request
import uuid

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(key: ec.EllipticCurvePrivateKey) -> dict:
    numbers = key.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }


def thumbprint(jwk: dict) -> str:
    """RFC 7638: the key id the platform gives a JWK registered without `kid`."""
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


def sign_es256(key: ec.EllipticCurvePrivateKey, kid: str, claims: dict) -> str:
    """A compact JWS (RFC 7515) with ES256: the signature is r || s, 32 bytes each (RFC 7518 §3.4)."""
    header = {"alg": "ES256", "typ": "JWT", "kid": kid}
    signing_input = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + b64url(
        json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode()
    )
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def verify_es256(token: str, jwks: dict) -> tuple:
    """Checks a compact JWS signed by one of the platform's ES256 keys; returns (header, claims)."""
    head_b64, payload_b64, sig_b64 = token.split(".")
    header = json.loads(b64url_decode(head_b64))
    if header.get("alg") != "ES256":
        raise InvalidSignature("unexpected algorithm %r" % header.get("alg"))
    jwk = next((k for k in jwks["keys"] if k.get("kid") == header.get("kid")), None)
    if jwk is None:
        raise InvalidSignature("unknown key %r" % header.get("kid"))
    public = ec.EllipticCurvePublicNumbers(
        int.from_bytes(b64url_decode(jwk["x"]), "big"), int.from_bytes(b64url_decode(jwk["y"]), "big"), ec.SECP256R1()
    ).public_key()
    raw = b64url_decode(sig_b64)
    if len(raw) != 64:
        raise InvalidSignature("an ES256 signature is 64 bytes")
    signature = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(signature, (head_b64 + "." + payload_b64).encode(), ec.ECDSA(hashes.SHA256()))
    return header, json.loads(b64url_decode(payload_b64))


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(index: int, size: int, leaf: bytes, path: list, root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def http(method: str, url: str, body: bytes = None, content_type: str = None):
    req = urllib.request.Request(url, data=body, method=method)
    if content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def get_json(url: str) -> dict:
    status, body = http("GET", url)
    if status != 200:
        raise RuntimeError("GET %s: %s %s" % (url, status, body[:200]))
    return json.loads(body)


def keygen(args) -> int:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with open(args.out, "wb") as f:
        f.write(pem)
    jwk = public_jwk(key)
    print(json.dumps({"jwk": jwk, "kid": thumbprint(jwk)}))
    return 0


def call(args) -> int:
    base = args.base.rstrip("/")
    with open(args.key, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    now = int(time.time())
    body = {
        "personal_id": args.personal_id,
        "full_name": args.full_name,
        "birth_date": args.birth_date,
    }
    if args.service == "person.verify":
        body["questions"] = args.questions.split(",")
        if args.commune_code:
            body["commune_code"] = args.commune_code
    if args.fields:
        body["fields"] = args.fields.split(",")
    if args.card_number:
        body["card_number"] = args.card_number
    claims = {
        "member": args.member,
        "subsystem": args.subsystem,
        "service": args.service,
        "purpose": args.purpose,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 120,
        "aud": args.audience or base,
        "body": body,
    }
    if args.consent_id:
        claims["consent_id"] = args.consent_id
    request = sign_es256(key, args.kid, claims)
    status, answer = http("POST", base + "/api/v1/exchange/services/" + args.service, request.encode(), "application/jose")
    if status != 200:
        print(answer.decode())
        return 1
    response = answer.decode().strip()
    jwks = get_json(base + "/api/v1/exchange/jwks.json")
    try:
        header, r = verify_es256(response, jwks)
    except InvalidSignature as e:
        print(json.dumps({"error": "response signature: %s" % e}))
        return 2
    request_sha256 = base64.b64encode(hashlib.sha256(request.encode()).digest()).decode()
    answer_json = json.dumps(r["answer"], separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    answer_sha256 = base64.b64encode(hashlib.sha256(answer_json.encode()).digest()).decode()
    checks = {
        "typ": header.get("typ") == "dancu-exchange-response+jwt",
        "aud": r["aud"] == args.member,
        "request_id": r["request_id"] == claims["jti"],
        "request_sha256": r["request_sha256"] == request_sha256,
        "answer_sha256": r["answer_sha256"] == answer_sha256,
    }
    # The exchange in the transparency log: a signed head that covers it, and the path from the
    # entry to that head's root.
    head = get_json(base + "/api/v1/exchange/log/head")
    try:
        _, signed = verify_es256(head["jws"], jwks)
    except InvalidSignature as e:
        print(json.dumps({"error": "tree head signature: %s" % e}))
        return 2
    size, root = signed["tree_size"], base64.b64decode(signed["root_hash"])
    proof = get_json(
        "%s/api/v1/exchange/log/proof/inclusion?index=%d&tree_size=%d" % (base, r["log_index"], size)
    )
    entry = get_json("%s/api/v1/exchange/log/entries/%d" % (base, r["log_index"]))
    logged = json.loads(base64.b64decode(entry["entry"]))
    leaf = hashlib.sha256(b"\x00" + base64.b64decode(entry["entry"])).digest()
    checks["log_entry"] = logged["request_sha256"] == request_sha256 and logged["answer_sha256"] == answer_sha256
    checks["log_leaf"] = base64.b64encode(leaf).decode() == r["log_leaf_hash"]
    checks["log_inclusion"] = verify_inclusion(
        r["log_index"], size, leaf, [base64.b64decode(h) for h in proof["hashes"]], root
    )
    print(json.dumps({
        "answer": r["answer"],
        "request_id": r["request_id"],
        "log_index": r["log_index"],
        "tree_size": size,
        "checks": checks,
    }, ensure_ascii=False))
    return 0 if all(checks.values()) else 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    k = sub.add_parser("keygen", help="make an ES256 key pair; prints the public JWK and its kid")
    k.add_argument("--out", required=True, help="where to write the private key (PEM)")
    c = sub.add_parser("call", help="call a service and verify the answer and its log proof")
    c.add_argument("--base", required=True, help="the platform's address, e.g. https://dancu.example.gov.vn")
    c.add_argument("--audience", help="the platform's public URL, if not --base")
    c.add_argument("--key", required=True)
    c.add_argument("--kid", required=True)
    c.add_argument("--member", required=True)
    c.add_argument("--subsystem", required=True)
    c.add_argument("--purpose", required=True)
    c.add_argument("--personal-id", required=True)
    c.add_argument("--full-name", required=True)
    c.add_argument("--birth-date", required=True)
    c.add_argument("--service", default="person.verify",
                   help="person.verify, person.lookup, residence.confirm, household.members or card.validity")
    c.add_argument("--questions", default="living_resident", help="person.verify: the yes/no questions")
    c.add_argument("--fields", help="person.lookup: the fields declared, comma-separated")
    c.add_argument("--card-number", help="card.validity: the card number")
    c.add_argument("--commune-code")
    c.add_argument("--consent-id", help="the code of the citizen's consent, for purposes that need one")
    args = parser.parse_args()
    return keygen(args) if args.command == "keygen" else call(args)


if __name__ == "__main__":
    sys.exit(main())
