CREATE TABLE access_log (
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
CREATE INDEX access_log_subject ON access_log (subject_id, at);
CREATE INDEX access_log_actor ON access_log (actor_id, at);
