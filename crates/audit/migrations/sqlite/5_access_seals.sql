-- Seals of the access log (audit::seal): each entry of the access log is also a leaf of the
-- transparency log (translog), which holds a keyed digest of the row; this table says which leaf
-- seals which row, and under which subject pseudonym, so one citizen's leaves are found without
-- reading the tree. `pruned` is set when retention deletes the row (the leaf stays, so the tree
-- still verifies and the deletion is known to be lawful).
CREATE TABLE logs.access_seals (
    access_id INTEGER PRIMARY KEY,
    log_index BIGINT NOT NULL,
    subject TEXT NOT NULL,
    pruned INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX logs.access_seals_subject ON access_seals (subject, access_id);
