-- The transparency log (RFC 9162 Merkle tree), in the attached `logs` database (see
-- db::LOGS_SCHEMA): it is appended to on every exchange, and all its tables sit in one file so that
-- a batch (leaves, completed subtrees, size) commits atomically.
--
-- translog_leaves: entry `idx` (from 0), its bytes and its leaf hash SHA-256(0x00 || entry).
CREATE TABLE logs.translog_leaves (
    idx BIGINT PRIMARY KEY,
    leaf_hash BLOB NOT NULL,
    entry BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
-- Every complete subtree of 2^level leaves (level >= 1) starting at leaf idx * 2^level, stored
-- when its last leaf is appended: any proof is then O(log n) point reads.
CREATE TABLE logs.translog_nodes (
    level BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (level, idx)
);
-- The tree size; one row, updated in every append transaction, so appends are serialized.
CREATE TABLE logs.translog_state (
    id INTEGER PRIMARY KEY,
    size BIGINT NOT NULL
);
INSERT INTO logs.translog_state (id, size) VALUES (1, 0);
-- Signed tree heads, one per published size.
CREATE TABLE logs.translog_heads (
    size BIGINT PRIMARY KEY,
    root BLOB NOT NULL,
    signed_at BIGINT NOT NULL,
    jws TEXT NOT NULL
);
