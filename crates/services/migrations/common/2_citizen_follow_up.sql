-- What follows an application for the citizen: notifications of its changes of state, the
-- satisfaction rating given after a result, and the traffic-fine decisions whose amount a fine
-- payment takes. Timestamps: UTC milliseconds. Money: whole Vietnamese đồng.

-- One notice per change of state an applicant should hear about; read_at is set when the citizen
-- opens their notifications. The text is composed when shown, from the kind and the application.
CREATE TABLE svc_notifications (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    application_id TEXT NOT NULL REFERENCES svc_applications(id),
    kind TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX svc_notifications_account ON svc_notifications (account_id, created_at);

-- At most one rating per application (the primary key), given once it has a result.
CREATE TABLE svc_ratings (
    application_id TEXT PRIMARY KEY REFERENCES svc_applications(id),
    stars BIGINT NOT NULL,
    comment TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Fine decisions (quyết định xử phạt) issued by the traffic police. A payment application names
-- the decision by its number; the amount is the decision's. application_id is the open
-- application paying it (one at a time); paid_at is set once, when that payment settles.
CREATE TABLE svc_fine_decisions (
    number TEXT PRIMARY KEY,
    decision_date TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    violation TEXT NOT NULL,
    plate TEXT NOT NULL,
    amount_vnd BIGINT NOT NULL,
    person_id TEXT NOT NULL,
    province_code TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    issued_by_label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    application_id TEXT,
    paid_at BIGINT
);
CREATE INDEX svc_fine_decisions_person ON svc_fine_decisions (person_id, created_at);
