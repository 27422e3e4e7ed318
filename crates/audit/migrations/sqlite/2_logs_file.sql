-- The access log moves to the attached `logs` database (a file of its own, see db::LOGS_SCHEMA):
-- its frequent commits then no longer make the registry's readers drop their page caches.
CREATE TABLE logs.access_log (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_label TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    action TEXT NOT NULL,
    purpose TEXT NOT NULL,
    released TEXT NOT NULL,
    channel TEXT NOT NULL
);
INSERT INTO logs.access_log SELECT id, at, actor_id, actor_label, subject_id, action, purpose, released, channel
    FROM main.access_log;
DROP TABLE main.access_log;
CREATE INDEX logs.access_log_subject ON access_log (subject_id, at);
CREATE INDEX logs.access_log_actor ON access_log (actor_id, at);
