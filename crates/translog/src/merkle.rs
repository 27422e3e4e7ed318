//! The Merkle tree algorithms of RFC 9162 §2.1, independent of storage.
//!
//! The tree over `n` entries is the one of RFC 9162: the left subtree holds the largest power of
//! two of entries smaller than `n`, so every left subtree is *perfect* (2^level leaves, aligned).
//! Every hash a proof needs is then the root of a range `[off, off + len)` that splits into
//! O(log n) perfect subtrees ([`Node`]); the store keeps those, and the functions here take a
//! lookup `get(Node) -> Hash` so the same code serves the database, memory and the tests.

use sha2::{Digest, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The leaf hash of an entry: SHA-256(0x00 || entry) (RFC 9162 §2.1.1).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// The hash of an interior node: SHA-256(0x01 || left || right) (RFC 9162 §2.1.1).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1).
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// A perfect subtree: `2^level` leaves starting at leaf `index << level`. Level 0 is a leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node {
    pub level: u32,
    pub index: u64,
}

/// The largest power of two strictly smaller than `n` (`n >= 2`): where RFC 9162 splits a tree.
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The root of leaves `[off, off + len)`, `len >= 1`, where `off` is a multiple of the smallest
/// power of two `>= len` (true of every range RFC 9162's recursion produces).
pub fn range_root<E>(off: u64, len: u64, get: &mut impl FnMut(Node) -> Result<Hash, E>) -> Result<Hash, E> {
    if len.is_power_of_two() && off.is_multiple_of(len) {
        let level = len.trailing_zeros();
        return get(Node { level, index: off >> level });
    }
    let k = split(len);
    let left = range_root(off, k, get)?;
    let right = range_root(off + k, len - k, get)?;
    Ok(node_hash(&left, &right))
}

/// The root hash of a tree of `size` leaves (MTH, RFC 9162 §2.1.1).
pub fn tree_root<E>(size: u64, get: &mut impl FnMut(Node) -> Result<Hash, E>) -> Result<Hash, E> {
    if size == 0 {
        return Ok(empty_root());
    }
    range_root(0, size, get)
}

/// The perfect subtrees a tree of `size` leaves is made of, largest first: the nodes a new leaf's
/// completed parents are computed from.
pub fn frontier(size: u64) -> Vec<Node> {
    let mut out = Vec::new();
    let mut off = 0u64;
    for level in (0..64u32).rev() {
        if size & (1u64 << level) != 0 {
            out.push(Node { level, index: off >> level });
            off += 1u64 << level;
        }
    }
    out
}

/// The audit path of leaf `index` in a tree of `size` leaves (PATH, RFC 9162 §2.1.3.1), or `None`
/// when `index >= size`.
pub fn inclusion_path<E>(
    index: u64,
    size: u64,
    get: &mut impl FnMut(Node) -> Result<Hash, E>,
) -> Result<Option<Vec<Hash>>, E> {
    if index >= size {
        return Ok(None);
    }
    let mut out = Vec::new();
    path(index, 0, size, get, &mut out)?;
    Ok(Some(out))
}

fn path<E>(
    m: u64,
    off: u64,
    n: u64,
    get: &mut impl FnMut(Node) -> Result<Hash, E>,
    out: &mut Vec<Hash>,
) -> Result<(), E> {
    if n <= 1 {
        return Ok(());
    }
    let k = split(n);
    if m < k {
        path(m, off, k, get, out)?;
        out.push(range_root(off + k, n - k, get)?);
    } else {
        path(m - k, off + k, n - k, get, out)?;
        out.push(range_root(off, k, get)?);
    }
    Ok(())
}

/// The consistency proof between the trees of `first` and `second` leaves (PROOF, RFC 9162
/// §2.1.4.1), or `None` unless `0 < first <= second`. Equal sizes give the empty proof.
pub fn consistency_proof<E>(
    first: u64,
    second: u64,
    get: &mut impl FnMut(Node) -> Result<Hash, E>,
) -> Result<Option<Vec<Hash>>, E> {
    if first == 0 || first > second {
        return Ok(None);
    }
    let mut out = Vec::new();
    if first < second {
        subproof(first, 0, second, true, get, &mut out)?;
    }
    Ok(Some(out))
}

fn subproof<E>(
    m: u64,
    off: u64,
    n: u64,
    whole: bool,
    get: &mut impl FnMut(Node) -> Result<Hash, E>,
    out: &mut Vec<Hash>,
) -> Result<(), E> {
    if m == n {
        if !whole {
            out.push(range_root(off, n, get)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(m, off, k, whole, get, out)?;
        out.push(range_root(off + k, n - k, get)?);
    } else {
        subproof(m - k, off + k, n - k, false, get, out)?;
        out.push(range_root(off, k, get)?);
    }
    Ok(())
}

/// Checks an inclusion proof (RFC 9162 §2.1.3.2): that the entry with leaf hash `leaf` is entry
/// `index` of the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, path: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && r == *root
}

/// Checks a consistency proof (RFC 9162 §2.1.4.2): that the tree of `first` leaves with root
/// `first_root` is a prefix of the tree of `second` leaves with root `second_root`.
pub fn verify_consistency(first: u64, second: u64, first_root: &Hash, second_root: &Hash, proof: &[Hash]) -> bool {
    if first == 0 || first > second {
        return false;
    }
    if first == second {
        return proof.is_empty() && first_root == second_root;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let Some((start, rest)) = path.split_first() else { return false };
    let (mut fnode, mut snode) = (first - 1, second - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*start, *start);
    for c in rest {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    fr == *first_root && sr == *second_root && snode == 0
}

/// The root of leaves given one by one, in O(log n) memory: what the offline verifier uses to
/// recompute a whole log as it streams it.
#[derive(Debug, Default, Clone)]
pub struct StreamingRoot {
    /// Perfect subtrees not yet merged, largest (leftmost) first, with their levels.
    stack: Vec<(u32, Hash)>,
    size: u64,
}

impl StreamingRoot {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the next leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = (0u32, leaf);
        while let Some(&(level, left)) = self.stack.last() {
            if level != node.0 {
                break;
            }
            self.stack.pop();
            node = (level + 1, node_hash(&left, &node.1));
        }
        self.stack.push(node);
        self.size += 1;
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root of the leaves pushed so far.
    pub fn root(&self) -> Hash {
        let mut it = self.stack.iter().rev();
        let Some(&(_, mut r)) = it.next() else { return empty_root() };
        for (_, left) in it {
            r = node_hash(left, &r);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    /// All perfect subtrees of `leaves`, computed naively from the definition.
    fn naive_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split(n as u64) as usize;
                node_hash(&naive_root(&leaves[..k]), &naive_root(&leaves[k..]))
            }
        }
    }

    fn getter(leaves: &[Hash]) -> impl FnMut(Node) -> Result<Hash, Infallible> + '_ {
        move |n: Node| {
            let start = (n.index << n.level) as usize;
            Ok(naive_root(&leaves[start..start + (1usize << n.level)]))
        }
    }

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(format!("entry {i}").as_bytes())).collect()
    }

    /// Known answers: the empty root is SHA-256(""), a one-leaf tree's root is its leaf hash.
    #[test]
    fn small_trees() {
        assert_eq!(
            empty_root().iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let l = leaves(1);
        assert_eq!(tree_root(1, &mut getter(&l)).unwrap(), l[0]);
        assert_eq!(inclusion_path(0, 1, &mut getter(&l)).unwrap(), Some(vec![]));
        assert!(verify_inclusion(0, 1, &l[0], &[], &l[0]));
    }

    #[test]
    fn frontier_decomposes_the_size() {
        assert_eq!(frontier(0), vec![]);
        assert_eq!(frontier(6), vec![Node { level: 2, index: 0 }, Node { level: 1, index: 2 }]);
        assert_eq!(
            frontier(7),
            vec![Node { level: 2, index: 0 }, Node { level: 1, index: 2 }, Node { level: 0, index: 6 }]
        );
    }

    proptest::proptest! {
        /// Every inclusion proof of every leaf verifies; a wrong leaf, index or root does not.
        #[test]
        fn inclusion_proofs_verify(n in 1usize..70, pick in 0usize..1000) {
            let l = leaves(n);
            let root = tree_root(n as u64, &mut getter(&l)).unwrap();
            proptest::prop_assert_eq!(root, naive_root(&l));
            let m = pick % n;
            let path = inclusion_path(m as u64, n as u64, &mut getter(&l)).unwrap().unwrap();
            proptest::prop_assert!(verify_inclusion(m as u64, n as u64, &l[m], &path, &root));
            let other = leaf_hash(b"not in the log");
            proptest::prop_assert!(!verify_inclusion(m as u64, n as u64, &other, &path, &root));
            if n > 1 {
                let wrong = (m + 1) % n;
                proptest::prop_assert!(!verify_inclusion(wrong as u64, n as u64, &l[m], &path, &root));
            }
            proptest::prop_assert!(!verify_inclusion(m as u64, n as u64, &l[m], &path, &other));
            proptest::prop_assert!(inclusion_path(n as u64, n as u64, &mut getter(&l)).unwrap().is_none());
        }

        /// Every consistency proof between two sizes verifies; a changed old root, a changed
        /// entry in the old range or a proof for other sizes does not.
        #[test]
        fn consistency_proofs_verify(second in 1usize..70, pick in 0usize..1000) {
            let first = 1 + pick % second;
            let l = leaves(second);
            let r1 = naive_root(&l[..first]);
            let r2 = naive_root(&l);
            let proof = consistency_proof(first as u64, second as u64, &mut getter(&l)).unwrap().unwrap();
            proptest::prop_assert!(verify_consistency(first as u64, second as u64, &r1, &r2, &proof));
            let mut forked = l.clone();
            forked[pick % first] = leaf_hash(b"rewritten history");
            let forked_root = naive_root(&forked);
            proptest::prop_assert!(!verify_consistency(first as u64, second as u64, &r1, &forked_root, &proof));
            let forked_proof = consistency_proof(first as u64, second as u64, &mut getter(&forked)).unwrap().unwrap();
            proptest::prop_assert!(!verify_consistency(first as u64, second as u64, &r1, &forked_root, &forked_proof));
            if first < second {
                proptest::prop_assert!(!verify_consistency(first as u64, second as u64, &r2, &r2, &proof));
            }
        }

        /// The streaming root equals the recursive definition at every size.
        #[test]
        fn streaming_root_matches(n in 0usize..200) {
            let l = leaves(n);
            let mut s = StreamingRoot::new();
            for h in &l {
                s.push(*h);
            }
            proptest::prop_assert_eq!(s.root(), naive_root(&l));
            proptest::prop_assert_eq!(s.size(), n as u64);
        }
    }
}
