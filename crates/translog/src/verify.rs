//! Offline verification: recomputes the whole tree from the stored entries and checks it against
//! every signed tree head, so that a deleted, altered or reordered entry is found even when whoever
//! changed it also recomputed the stored hashes (a signed head cannot be recomputed without the
//! platform's private key).

use std::fmt;

use db::Db;
use kernel::AppError;
use keys::{JwksVerifier, KeyError};
use serde::Serialize;

use crate::head::{self, SignedHead};
use crate::merkle::{self, StreamingRoot};
use crate::store;

/// Entries read per query.
const PAGE: u32 = 10_000;
/// Problems listed at most (a truncated log could otherwise give millions).
const MAX_PROBLEMS: usize = 100;

/// Something wrong with the stored log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    /// No signed tree head is stored although the log has entries, or none verifies.
    NoHead,
    /// A head's signature does not verify against the keys given.
    HeadSignature { tree_size: u64, reason: String },
    /// Entries `from..=to` are missing (deleted rows).
    Missing { from: u64, to: u64 },
    /// The stored leaf hash of an entry is not the hash of its stored bytes (the entry was altered).
    LeafHash { index: u64 },
    /// The tree recomputed from the stored entries does not have the signed root at this size (an
    /// entry was altered, removed or moved, with its hash recomputed).
    RootMismatch { tree_size: u64 },
    /// A signed head covers more entries than are stored (entries at the end were deleted).
    Truncated { tree_size: u64, stored: u64 },
    /// The recorded tree size differs from the number of entries stored.
    SizeMismatch { recorded: u64, stored: u64 },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NoHead => write!(f, "no verifiable signed tree head"),
            Problem::HeadSignature { tree_size, reason } => {
                write!(f, "signed tree head of size {tree_size} does not verify: {reason}")
            }
            Problem::Missing { from, to } if from == to => write!(f, "entry {from} is missing"),
            Problem::Missing { from, to } => write!(f, "entries {from} to {to} are missing"),
            Problem::LeafHash { index } => write!(f, "entry {index} does not match its leaf hash (altered)"),
            Problem::RootMismatch { tree_size } => {
                write!(f, "the entries do not give the signed root at size {tree_size} (altered, removed or reordered)")
            }
            Problem::Truncated { tree_size, stored } => {
                write!(f, "a signed tree head covers {tree_size} entries but only {stored} are stored")
            }
            Problem::SizeMismatch { recorded, stored } => {
                write!(f, "the recorded size is {recorded} but {stored} entries are stored")
            }
        }
    }
}

/// What the verification found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Entries read.
    pub entries: u64,
    /// The recorded tree size.
    pub recorded_size: u64,
    /// Heads whose signature verified and whose root matched the entries.
    pub heads_verified: u64,
    /// Heads signed by a key the verifier was not given (a key expired since): not checked. Not a
    /// problem by itself, but if no head verifies the log is reported as unverifiable.
    pub heads_unchecked: u64,
    /// The largest head that verified, if any.
    pub latest_head: Option<SignedHead>,
    pub problems: Vec<Problem>,
    /// More problems were found than are listed.
    pub more_problems: bool,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn push(&mut self, p: Problem) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        } else {
            self.more_problems = true;
        }
    }
}

/// Reads every entry in index order, recomputes every leaf hash and the tree, and checks each
/// stored signed head: its signature against `keys` and its root against the recomputed tree at
/// its size. `progress` is called with the number of entries read so far, after each page.
///
/// The log may grow while it is read (a live server): the heads are read first, then the size,
/// and only the entries below that size are checked, so entries appended meanwhile are neither
/// counted nor reported.
pub async fn verify_log(db: &Db, keys: &JwksVerifier, progress: &mut dyn FnMut(u64)) -> Result<Report, AppError> {
    let stored_heads = head::all_heads(db).await?;
    let recorded = store::size(db).await?;
    let mut report = Report {
        entries: 0,
        recorded_size: recorded,
        heads_verified: 0,
        heads_unchecked: 0,
        latest_head: None,
        problems: Vec::new(),
        more_problems: false,
    };
    let mut heads: Vec<SignedHead> = Vec::new();
    for h in stored_heads {
        match SignedHead::verify(&h.jws, keys) {
            Ok(claimed) if claimed.tree_size == h.tree_size && claimed.root_hash == h.root_hash => heads.push(claimed),
            Ok(_) => report.push(Problem::HeadSignature {
                tree_size: h.tree_size,
                reason: "the stored size or root differs from the signed one".into(),
            }),
            Err(KeyError::UnknownKey(_)) => report.heads_unchecked += 1,
            Err(e) => report.push(Problem::HeadSignature { tree_size: h.tree_size, reason: e.to_string() }),
        }
    }
    let mut pending = heads.into_iter().peekable();
    let mut tree = StreamingRoot::new();
    let mut expected = 0u64;
    let mut check_heads = |tree: &StreamingRoot, report: &mut Report| {
        while let Some(h) = pending.next_if(|h| h.tree_size <= tree.size()) {
            if h.tree_size == tree.size() && tree.root() == h.root_hash {
                report.heads_verified += 1;
                report.latest_head = Some(h);
            } else {
                report.push(Problem::RootMismatch { tree_size: h.tree_size });
            }
        }
    };
    check_heads(&tree, &mut report);
    loop {
        let page = store::entries(db, expected, PAGE).await?;
        let full = page.len() == PAGE as usize;
        let mut reached = false;
        for e in page {
            if e.index >= recorded {
                reached = true;
                break;
            }
            if e.index != expected {
                report.push(Problem::Missing { from: expected, to: e.index - 1 });
                // The entries after a gap sit at other positions of the tree: what the signed heads
                // say about them no longer applies, so the heads past the gap fail below.
                expected = e.index;
            }
            let leaf = merkle::leaf_hash(&e.data);
            if leaf != e.leaf_hash {
                report.push(Problem::LeafHash { index: e.index });
            }
            tree.push(leaf);
            check_heads(&tree, &mut report);
            expected += 1;
        }
        report.entries = tree.size();
        progress(report.entries);
        if !full || reached {
            break;
        }
    }
    for h in pending {
        report.push(Problem::Truncated { tree_size: h.tree_size, stored: tree.size() });
    }
    if report.latest_head.is_none() && recorded > 0 {
        report.push(Problem::NoHead);
    }
    if recorded != tree.size() {
        report.push(Problem::SizeMismatch { recorded, stored: tree.size() });
    }
    Ok(report)
}
