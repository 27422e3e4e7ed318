//! The log in the database on both backends: batches, proofs, heads, and the offline verifier
//! finding each kind of tampering. Proofs are also checked against an independent implementation
//! of RFC 9162 in Python (hashlib only).

use std::io::Write;
use std::process::{Command, Stdio};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use db::sqlx;
use db::{Db, MigrationSet};
use keys::{JwksVerifier, KeyAlg, KeyRing};

use crate::merkle::{self, Hash};
use crate::store::{self, NewEntry};
use crate::*;

fn migrations() -> MigrationSet {
    MigrationSet::new().with(keys::MIGRATIONS).with(MIGRATIONS)
}

const NOW: i64 = 1_796_601_600_000;

fn entry(i: u64) -> NewEntry {
    NewEntry { data: format!("entry {i}").into_bytes(), at: NOW }
}

/// Appends `n` entries in batches of uneven sizes, as concurrent requests would.
async fn fill(db: &Db, n: u64) {
    let mut i = 0;
    let mut batch = 1;
    while i < n {
        let k = batch.min(n - i);
        let entries: Vec<NewEntry> = (i..i + k).map(entry).collect();
        assert_eq!(store::append(db, &entries).await.unwrap(), i);
        i += k;
        batch = batch * 3 % 11 + 1;
    }
}

fn leaves(n: u64) -> Vec<Hash> {
    (0..n).map(|i| merkle::leaf_hash(&entry(i).data)).collect()
}

async fn ring(db: &Db) -> std::sync::Arc<KeyRing> {
    keys::ensure_key(db, KeyAlg::Es256, NOW).await.unwrap();
    KeyRing::load(db, || NOW).await.unwrap()
}

async fn jwks(ring: &KeyRing) -> JwksVerifier {
    JwksVerifier::from_jwks(&ring.jwks()).unwrap()
}

/// Roots and proofs read from the stored subtrees equal those of the in-memory definition, at
/// every size of a log filled in uneven batches.
async fn stored_proofs_match_the_definition(db: Db) {
    let n = 37;
    fill(&db, n).await;
    assert_eq!(store::size(&db).await.unwrap(), n);
    let l = leaves(n);
    let mut get = |node: merkle::Node| -> Result<Hash, std::convert::Infallible> {
        let mut s = merkle::StreamingRoot::new();
        for h in &l[(node.index << node.level) as usize..((node.index + 1) << node.level) as usize] {
            s.push(*h);
        }
        Ok(s.root())
    };
    for size in 1..=n {
        let root = store::root(&db, size).await.unwrap().unwrap();
        assert_eq!(root, merkle::tree_root(size, &mut get).unwrap(), "root at {size}");
        for index in [0, size / 2, size - 1] {
            let path = store::inclusion(&db, index, size).await.unwrap().unwrap();
            assert!(merkle::verify_inclusion(index, size, &l[index as usize], &path, &root), "{index} in {size}");
        }
        for first in [1, size / 2 + 1, size] {
            let proof = store::consistency(&db, first, size).await.unwrap().unwrap();
            let old = store::root(&db, first).await.unwrap().unwrap();
            assert!(merkle::verify_consistency(first, size, &old, &root, &proof), "{first} → {size}");
        }
    }
    assert_eq!(store::root(&db, n + 1).await.unwrap(), None, "no root past the log");
    assert_eq!(store::inclusion(&db, n, n).await.unwrap(), None);
    assert_eq!(store::consistency(&db, 0, n).await.unwrap(), None);
    let e = store::entry(&db, 5).await.unwrap().unwrap();
    assert_eq!(e.data, b"entry 5");
    assert_eq!(e.leaf_hash, l[5]);
}

/// The writer commits concurrent appends in batches and hands each its own index.
async fn concurrent_appends_get_distinct_indices(db: Db) {
    let log = TransLog::start(db.clone());
    let mut tasks = Vec::new();
    for i in 0..200u64 {
        let log = log.clone();
        tasks.push(tokio::spawn(async move { (i, log.append(entry(i).data, NOW).await.unwrap()) }));
    }
    let mut got: Vec<(u64, u64)> = Vec::new();
    for t in tasks {
        got.push(t.await.unwrap());
    }
    let mut indices: Vec<u64> = got.iter().map(|(_, idx)| *idx).collect();
    indices.sort_unstable();
    assert_eq!(indices, (0..200).collect::<Vec<_>>());
    for (i, idx) in got {
        assert_eq!(store::entry(&db, idx).await.unwrap().unwrap().data, entry(i).data, "index {idx} holds entry {i}");
    }
}

/// A head is signed once per size and verifies against the published keys; its claims are what
/// the store holds.
async fn heads_are_signed_and_verify(db: Db) {
    let ring = ring(&db).await;
    let empty = sign_head(&db, &ring, NOW).await.unwrap();
    assert_eq!(empty.tree_size, 0);
    assert_eq!(empty.root_hash, merkle::empty_root());
    fill(&db, 10).await;
    let h = sign_head(&db, &ring, NOW + 1).await.unwrap();
    assert_eq!(h.tree_size, 10);
    assert_eq!(Some(h.root_hash), store::root(&db, 10).await.unwrap());
    let again = sign_head(&db, &ring, NOW + 2).await.unwrap();
    assert_eq!(again, h, "an unchanged tree keeps its head");
    let checked = SignedHead::verify(&h.jws, &jwks(&ring).await).unwrap();
    assert_eq!(checked, h);
    assert_eq!(latest_head(&db).await.unwrap(), Some(h.clone()));
    // Another key does not verify it.
    let other = db::testing::TestDb::sqlite(&migrations()).await;
    let other_ring = crate::tests::ring(other.db()).await;
    assert!(SignedHead::verify(&h.jws, &jwks(&other_ring).await).is_err());
}

async fn verify_clean(db: &Db, ring: &KeyRing) -> Report {
    let mut seen = Vec::new();
    let report = verify_log(db, &jwks(ring).await, &mut |n| seen.push(n)).await.unwrap();
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "progress only grows");
    report
}

/// An untouched log verifies; every stored head is checked.
async fn an_untouched_log_verifies(db: Db) {
    let ring = ring(&db).await;
    fill(&db, 20).await;
    sign_head(&db, &ring, NOW).await.unwrap();
    fill_more(&db, 20, 25).await;
    sign_head(&db, &ring, NOW + 1).await.unwrap();
    let report = verify_clean(&db, &ring).await;
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.entries, 25);
    assert_eq!(report.heads_verified, 2);
    assert_eq!(report.latest_head.map(|h| h.tree_size), Some(25));
}

/// A live log verifies while it grows: entries appended after the size was read are neither
/// checked nor reported, the heads signed meanwhile are not taken as truncations.
async fn a_growing_log_verifies(db: Db) {
    let ring = ring(&db).await;
    fill(&db, 3_000).await;
    sign_head(&db, &ring, NOW).await.unwrap();
    let writer = {
        let (db, ring) = (db.clone(), ring.clone());
        tokio::spawn(async move {
            for round in 0..40u64 {
                let from = store::size(&db).await.unwrap();
                let entries: Vec<NewEntry> = (from..from + 200).map(entry).collect();
                store::append(&db, &entries).await.unwrap();
                sign_head(&db, &ring, NOW + 1 + round as i64).await.unwrap();
            }
        })
    };
    let mut reports = Vec::new();
    while !writer.is_finished() {
        reports.push(verify_clean(&db, &ring).await);
    }
    writer.await.unwrap();
    reports.push(verify_clean(&db, &ring).await);
    for r in &reports {
        assert!(r.ok(), "{:?}", r.problems);
    }
    assert_eq!(reports.last().map(|r| r.entries), Some(3_000 + 40 * 200));
}

async fn fill_more(db: &Db, from: u64, to: u64) {
    let entries: Vec<NewEntry> = (from..to).map(entry).collect();
    assert_eq!(store::append(db, &entries).await.unwrap(), from);
}

async fn tampered(db: &Db) -> std::sync::Arc<KeyRing> {
    let ring = ring(db).await;
    fill(db, 16).await;
    sign_head(db, &ring, NOW).await.unwrap();
    ring
}

/// A deleted row is found, and the signed root no longer matches.
async fn a_deleted_entry_is_found(db: Db) {
    let ring = tampered(&db).await;
    sqlx::query("DELETE FROM translog_leaves WHERE idx = 7").execute(db.write()).await.unwrap();
    let report = verify_clean(&db, &ring).await;
    assert!(report.problems.contains(&Problem::Missing { from: 7, to: 7 }), "{:?}", report.problems);
    assert!(report.problems.contains(&Problem::Truncated { tree_size: 16, stored: 15 }), "{:?}", report.problems);
}

/// An entry changed in place is found by its leaf hash; changed with its hash recomputed, by the
/// signed root.
async fn an_altered_entry_is_found(db: Db) {
    let ring = tampered(&db).await;
    sqlx::query("UPDATE translog_leaves SET entry = $1 WHERE idx = 3")
        .bind(b"entry 3 altered".to_vec())
        .execute(db.write())
        .await
        .unwrap();
    let report = verify_clean(&db, &ring).await;
    assert!(report.problems.contains(&Problem::LeafHash { index: 3 }), "{:?}", report.problems);
    assert!(report.problems.contains(&Problem::RootMismatch { tree_size: 16 }));
    sqlx::query("UPDATE translog_leaves SET leaf_hash = $1 WHERE idx = 3")
        .bind(merkle::leaf_hash(b"entry 3 altered").to_vec())
        .execute(db.write())
        .await
        .unwrap();
    let report = verify_clean(&db, &ring).await;
    assert_eq!(report.problems, vec![Problem::RootMismatch { tree_size: 16 }, Problem::NoHead]);
}

/// Two entries swapped with their hashes (a reordering) give another root.
async fn reordered_entries_are_found(db: Db) {
    let ring = tampered(&db).await;
    for (idx, from) in [(2i64, 9u64), (9, 2)] {
        let e = entry(from);
        sqlx::query("UPDATE translog_leaves SET entry = $1, leaf_hash = $2 WHERE idx = $3")
            .bind(e.data.clone())
            .bind(merkle::leaf_hash(&e.data).to_vec())
            .bind(idx)
            .execute(db.write())
            .await
            .unwrap();
    }
    let report = verify_clean(&db, &ring).await;
    assert_eq!(report.problems, vec![Problem::RootMismatch { tree_size: 16 }, Problem::NoHead]);
}

/// A forged head (not signed by the platform key) is reported and not trusted.
async fn a_forged_head_is_reported(db: Db) {
    let ring = tampered(&db).await;
    sqlx::query("UPDATE translog_heads SET jws = $1 WHERE size = 16")
        .bind("eyJhbGciOiJub25lIn0.e30.")
        .execute(db.write())
        .await
        .unwrap();
    let report = verify_clean(&db, &ring).await;
    assert!(matches!(report.problems.first(), Some(Problem::HeadSignature { tree_size: 16, .. })));
    assert!(report.problems.contains(&Problem::NoHead));
}

db::dual_tests!(crate::tests::migrations();
    stored_proofs_match_the_definition,
    concurrent_appends_get_distinct_indices,
    heads_are_signed_and_verify,
    an_untouched_log_verifies,
    a_growing_log_verifies,
    a_deleted_entry_is_found,
    an_altered_entry_is_found,
    reordered_entries_are_found,
    a_forged_head_is_reported,
);

/// RFC 9162's MTH, PATH and PROOF written directly from §2.1 in Python with hashlib, over the
/// entries themselves: it recomputes the roots and proofs the store gave and says whether they
/// are the same.
const PYTHON_RFC9162: &str = r#"
import base64, hashlib, json, sys

def h(b): return hashlib.sha256(b).digest()
def leaf(d): return h(b"\x00" + d)
def k_of(n):
    k = 1
    while k * 2 < n: k *= 2
    return k
def mth(d):
    n = len(d)
    if n == 0: return h(b"")
    if n == 1: return leaf(d[0])
    k = k_of(n)
    return h(b"\x01" + mth(d[:k]) + mth(d[k:]))
def path(m, d):
    n = len(d)
    if n <= 1: return []
    k = k_of(n)
    if m < k: return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]
def subproof(m, d, b):
    n = len(d)
    if m == n: return [] if b else [mth(d)]
    k = k_of(n)
    if m <= k: return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]

case = json.load(sys.stdin)
d = [e.encode() for e in case["entries"]]
ok = True
for r in case["roots"]:
    ok &= base64.b64decode(r["root"]) == mth(d[:r["size"]])
for p in case["inclusion"]:
    ok &= [base64.b64decode(x) for x in p["path"]] == path(p["index"], d[:p["size"]])
for p in case["consistency"]:
    ok &= [base64.b64decode(x) for x in p["proof"]] == subproof(p["first"], d[:p["second"]], True)
print("same" if ok else "different")
"#;

/// Asks the Python implementation about everything the store answers for a log of `n` entries.
async fn python_agrees(db: &Db, n: u64) -> String {
    let b64 = |h: &Hash| STANDARD.encode(h);
    let mut roots = Vec::new();
    let mut inclusion = Vec::new();
    let mut consistency = Vec::new();
    for size in 1..=n {
        roots.push(serde_json::json!({"size": size, "root": b64(&store::root(db, size).await.unwrap().unwrap())}));
        for index in 0..size {
            let p = store::inclusion(db, index, size).await.unwrap().unwrap();
            inclusion
                .push(serde_json::json!({"index": index, "size": size, "path": p.iter().map(b64).collect::<Vec<_>>()}));
        }
        for first in 1..=size {
            let p = store::consistency(db, first, size).await.unwrap().unwrap();
            consistency.push(
                serde_json::json!({"first": first, "second": size, "proof": p.iter().map(b64).collect::<Vec<_>>()}),
            );
        }
    }
    let entries: Vec<String> = (0..n).map(|i| String::from_utf8(entry(i).data).unwrap()).collect();
    let case =
        serde_json::json!({"entries": entries, "roots": roots, "inclusion": inclusion, "consistency": consistency});
    let mut child = Command::new("python3")
        .args(["-c", PYTHON_RFC9162])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is needed for the independent RFC 9162 check");
    child.stdin.take().unwrap().write_all(case.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python failed");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Every root, inclusion proof and consistency proof of logs up to 24 entries is what the Python
/// implementation of RFC 9162 computes; a log with one entry changed is not.
#[tokio::test]
async fn proofs_agree_with_an_independent_implementation() {
    let t = db::testing::TestDb::sqlite(&migrations()).await;
    fill(t.db(), 24).await;
    assert_eq!(python_agrees(t.db(), 24).await, "same");
    sqlx::query("UPDATE translog_leaves SET leaf_hash = $1 WHERE idx = 0")
        .bind(merkle::leaf_hash(b"something else").to_vec())
        .execute(t.db().write())
        .await
        .unwrap();
    assert_eq!(python_agrees(t.db(), 3).await, "different", "the check can fail");
}
