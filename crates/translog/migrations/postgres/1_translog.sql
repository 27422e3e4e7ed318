-- The transparency log (RFC 9162 Merkle tree). On SQLite it lives in the attached logs file.
-- translog_leaves: entry `idx` (from 0), its bytes and its leaf hash SHA-256(0x00 || entry).
CREATE TABLE translog_leaves (
    idx BIGINT PRIMARY KEY,
    leaf_hash BYTEA NOT NULL,
    entry BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
-- Every complete subtree of 2^level leaves (level >= 1) starting at leaf idx * 2^level, stored
-- when its last leaf is appended: any proof is then O(log n) point reads.
CREATE TABLE translog_nodes (
    level BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);
-- The tree size; one row, updated in every append transaction, so appends are serialized.
CREATE TABLE translog_state (
    id INTEGER PRIMARY KEY,
    size BIGINT NOT NULL
);
INSERT INTO translog_state (id, size) VALUES (1, 0);
-- Signed tree heads, one per published size.
CREATE TABLE translog_heads (
    size BIGINT PRIMARY KEY,
    root BYTEA NOT NULL,
    signed_at BIGINT NOT NULL,
    jws TEXT NOT NULL
);
