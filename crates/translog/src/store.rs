//! The tree in the database: appending batches, roots and proofs.
//!
//! Leaves are stored with their leaf hash; every perfect subtree of two or more leaves is stored in
//! `translog_nodes` when its last leaf arrives. Appending `k` leaves to a tree of `n` reads the
//! O(log n) subtrees of the current right edge ([`merkle::frontier`]) and writes `k` leaves and at
//! most `k` nodes; a proof reads O(log n) stored hashes in two queries. Nothing is ever updated
//! except the one-row tree size, which also serializes appends on PostgreSQL (its row lock).

use std::collections::HashMap;

use db::sqlx::{self, Row};
use db::{Backend, Db};
use kernel::AppError;

use crate::merkle::{self, Hash, Node};

/// Rows per multi-row `INSERT`: 4 values a leaf stays far below SQLite's parameter limit.
const CHUNK: usize = 500;

/// An entry to append, with the time it is appended (UTC milliseconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub data: Vec<u8>,
    pub at: i64,
}

/// Appends `entries` in one transaction and returns the index of the first one (the others
/// follow in order). An empty batch changes nothing and returns the current size.
pub async fn append(db: &Db, entries: &[NewEntry]) -> Result<u64, AppError> {
    let mut tx = db.begin().await?;
    let first = append_in(&mut tx, db.backend(), entries).await?;
    tx.commit().await?;
    Ok(first)
}

/// [`append`] inside the caller's transaction.
pub async fn append_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    entries: &[NewEntry],
) -> Result<u64, AppError> {
    let n = entries.len() as i64;
    // The update comes first: it takes SQLite's write lock and PostgreSQL's row lock before any read.
    let new_size: i64 = sqlx::query("UPDATE translog_state SET size = size + $1 WHERE id = 1 RETURNING size")
        .bind(n)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
    let old = u64::try_from(new_size - n).map_err(|e| AppError::internal_from("negative log size", e))?;
    if entries.is_empty() {
        return Ok(old);
    }
    let wanted = merkle::frontier(old);
    let known = fetch(tx, backend, &wanted).await?;
    let mut stack: Vec<(u32, Hash)> = Vec::with_capacity(64);
    for node in &wanted {
        let hash = known.get(node).ok_or_else(|| missing(*node))?;
        stack.push((node.level, *hash));
    }
    let mut leaves: Vec<(i64, Hash, &NewEntry)> = Vec::with_capacity(entries.len());
    let mut nodes: Vec<(i64, i64, Hash)> = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let index = old + i as u64;
        let leaf = merkle::leaf_hash(&e.data);
        leaves.push((to_i64(index)?, leaf, e));
        let mut node = (0u32, leaf);
        while let Some(&(level, left)) = stack.last() {
            if level != node.0 {
                break;
            }
            stack.pop();
            node = (level + 1, merkle::node_hash(&left, &node.1));
            nodes.push((i64::from(node.0), to_i64(index >> node.0)?, node.1));
        }
        stack.push(node);
    }
    for chunk in leaves.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO translog_leaves (idx, leaf_hash, entry, created_at) VALUES {}",
            db::values(backend, chunk.len(), 4)
        );
        let mut q = sqlx::query(&sql);
        for (idx, hash, e) in chunk {
            q = q.bind(*idx).bind(hash.to_vec()).bind(e.data.clone()).bind(e.at);
        }
        q.execute(&mut **tx).await?;
    }
    for chunk in nodes.chunks(CHUNK) {
        let sql =
            format!("INSERT INTO translog_nodes (level, idx, hash) VALUES {}", db::values(backend, chunk.len(), 3));
        let mut q = sqlx::query(&sql);
        for (level, idx, hash) in chunk {
            q = q.bind(*level).bind(*idx).bind(hash.to_vec());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(old)
}

fn to_i64(v: u64) -> Result<i64, AppError> {
    i64::try_from(v).map_err(|e| AppError::internal_from("log index out of range", e))
}

fn missing(node: Node) -> AppError {
    AppError::internal(format!("transparency log: stored subtree {}/{} is missing", node.level, node.index))
}

/// The stored hashes of `nodes` (leaves for level 0, subtrees above).
async fn fetch(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    nodes: &[Node],
) -> Result<HashMap<Node, Hash>, AppError> {
    let mut out = HashMap::with_capacity(nodes.len());
    let (leaves, inner): (Vec<Node>, Vec<Node>) = nodes.iter().partition(|n| n.level == 0);
    if !leaves.is_empty() {
        let list = (1..=leaves.len()).map(|i| db::param(backend, i)).collect::<Vec<_>>().join(",");
        let sql = format!("SELECT idx, leaf_hash FROM translog_leaves WHERE idx IN ({list})");
        let mut q = sqlx::query(&sql);
        for n in &leaves {
            q = q.bind(to_i64(n.index)?);
        }
        for row in q.fetch_all(&mut *conn).await? {
            let idx: i64 = row.try_get(0)?;
            out.insert(Node { level: 0, index: idx as u64 }, hash_of(row.try_get(1)?)?);
        }
    }
    if !inner.is_empty() {
        let mut n = 0;
        let mut next = || {
            n += 1;
            db::param(backend, n)
        };
        let clauses: Vec<String> = inner.iter().map(|_| format!("(level = {} AND idx = {})", next(), next())).collect();
        let sql = format!("SELECT level, idx, hash FROM translog_nodes WHERE {}", clauses.join(" OR "));
        let mut q = sqlx::query(&sql);
        for n in &inner {
            q = q.bind(i64::from(n.level)).bind(to_i64(n.index)?);
        }
        for row in q.fetch_all(&mut *conn).await? {
            let level: i64 = row.try_get(0)?;
            let idx: i64 = row.try_get(1)?;
            out.insert(Node { level: level as u32, index: idx as u64 }, hash_of(row.try_get(2)?)?);
        }
    }
    Ok(out)
}

pub(crate) fn hash_of(bytes: Vec<u8>) -> Result<Hash, AppError> {
    Hash::try_from(bytes.as_slice()).map_err(|_| AppError::internal("transparency log: a stored hash is not 32 bytes"))
}

/// Runs `compute` twice: once to learn which stored hashes it needs, then with them fetched in
/// two queries.
async fn with_nodes<T>(
    db: &Db,
    mut compute: impl FnMut(&mut dyn FnMut(Node) -> Result<Hash, AppError>) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let mut wanted = Vec::new();
    compute(&mut |n| {
        wanted.push(n);
        Ok([0u8; 32])
    })?;
    wanted.sort_unstable();
    wanted.dedup();
    let mut conn = db.read().acquire().await?;
    let known = fetch(&mut conn, db.backend(), &wanted).await?;
    compute(&mut |n| known.get(&n).copied().ok_or_else(|| missing(n)))
}

/// The number of entries committed.
pub async fn size(db: &Db) -> Result<u64, AppError> {
    let size: i64 =
        sqlx::query("SELECT size FROM translog_state WHERE id = 1").fetch_one(db.read()).await?.try_get(0)?;
    u64::try_from(size).map_err(|e| AppError::internal_from("negative log size", e))
}

/// The root hash of the tree of the first `tree_size` entries, or `None` past the current size.
pub async fn root(db: &Db, tree_size: u64) -> Result<Option<Hash>, AppError> {
    if tree_size > size(db).await? {
        return Ok(None);
    }
    with_nodes(db, |get| merkle::tree_root(tree_size, &mut |n| get(n))).await.map(Some)
}

/// The inclusion proof of entry `index` in the tree of `tree_size` entries; `None` when
/// `index >= tree_size` or the tree is larger than the log.
pub async fn inclusion(db: &Db, index: u64, tree_size: u64) -> Result<Option<Vec<Hash>>, AppError> {
    if index >= tree_size || tree_size > size(db).await? {
        return Ok(None);
    }
    with_nodes(db, |get| merkle::inclusion_path(index, tree_size, &mut |n| get(n))).await
}

/// The consistency proof between the trees of `first` and `second` entries; `None` unless
/// `0 < first <= second <= size`.
pub async fn consistency(db: &Db, first: u64, second: u64) -> Result<Option<Vec<Hash>>, AppError> {
    if first == 0 || first > second || second > size(db).await? {
        return Ok(None);
    }
    with_nodes(db, |get| merkle::consistency_proof(first, second, &mut |n| get(n))).await
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    pub index: u64,
    pub data: Vec<u8>,
    pub leaf_hash: Hash,
    pub at: i64,
}

/// Entry `index`, if stored.
pub async fn entry(db: &Db, index: u64) -> Result<Option<StoredEntry>, AppError> {
    // No log reaches the end of the database's index range: such an index is simply not stored.
    if i64::try_from(index).is_err() {
        return Ok(None);
    }
    Ok(entries(db, index, 1).await?.into_iter().next().filter(|e| e.index == index))
}

/// The stored entries at the given indexes (missing ones are absent from the map), for readers
/// that hold indexes of their own (the access log's seals).
pub async fn entries_at(db: &Db, indexes: &[u64]) -> Result<HashMap<u64, Vec<u8>>, AppError> {
    let mut out = HashMap::with_capacity(indexes.len());
    for chunk in indexes.chunks(CHUNK) {
        let marks = db::values(db.backend(), 1, chunk.len());
        let sql = format!("SELECT idx, entry FROM translog_leaves WHERE idx IN {marks}");
        let mut q = sqlx::query(&sql);
        for i in chunk {
            q = q.bind(to_i64(*i)?);
        }
        for r in q.fetch_all(db.read()).await? {
            let idx: i64 = r.try_get(0)?;
            out.insert(
                u64::try_from(idx).map_err(|e| AppError::internal_from("negative log index", e))?,
                r.try_get(1)?,
            );
        }
    }
    Ok(out)
}

/// Up to `limit` stored entries from index `from` on, in index order (a missing row is skipped,
/// which is what the offline verifier looks for).
pub async fn entries(db: &Db, from: u64, limit: u32) -> Result<Vec<StoredEntry>, AppError> {
    let rows = sqlx::query(
        "SELECT idx, entry, leaf_hash, created_at FROM translog_leaves WHERE idx >= $1 ORDER BY idx LIMIT $2",
    )
    .bind(to_i64(from)?)
    .bind(i64::from(limit))
    .fetch_all(db.read())
    .await?;
    rows.into_iter()
        .map(|r| -> Result<StoredEntry, AppError> {
            let idx: i64 = r.try_get(0)?;
            Ok(StoredEntry {
                index: u64::try_from(idx).map_err(|e| AppError::internal_from("negative log index", e))?,
                data: r.try_get(1)?,
                leaf_hash: hash_of(r.try_get(2)?)?,
                at: r.try_get(3)?,
            })
        })
        .collect()
}
