-- Online public services (dịch vụ công trực tuyến): the versioned procedure catalogue,
-- applications with their workflow events, attachments, fee payments and signed result documents.
-- Timestamps: UTC milliseconds. Money: whole Vietnamese đồng.

CREATE TABLE svc_procedures (
    code TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    essential BIGINT NOT NULL,
    definition TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE svc_procedure_versions (
    code TEXT NOT NULL,
    version BIGINT NOT NULL,
    definition TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE svc_applications (
    id TEXT PRIMARY KEY,
    receipt_code TEXT NOT NULL UNIQUE,
    procedure_code TEXT NOT NULL REFERENCES svc_procedures(code),
    procedure_version BIGINT NOT NULL,
    applicant_account_id TEXT,
    applicant_person_id TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    applicant_name_folded TEXT NOT NULL,
    commune_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    agency_level TEXT NOT NULL,
    handler_role TEXT NOT NULL,
    channel TEXT NOT NULL,
    by_official BIGINT NOT NULL,
    status TEXT NOT NULL,
    answers TEXT NOT NULL,
    prefill TEXT NOT NULL,
    fee_vnd BIGINT NOT NULL,
    fee_status TEXT NOT NULL,
    paid_online BIGINT NOT NULL,
    assigned_to TEXT,
    submitted_at BIGINT,
    -- YYYY-MM of submission in Vietnam time, for monthly figures.
    submitted_month TEXT,
    due_at BIGINT,
    decided_at BIGINT,
    decision_note TEXT,
    result_code TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX svc_applications_inbox ON svc_applications (commune_code, submitted_at);
CREATE INDEX svc_applications_province ON svc_applications (province_code, submitted_at);
CREATE INDEX svc_applications_name ON svc_applications (commune_code, applicant_name_folded);
CREATE INDEX svc_applications_applicant ON svc_applications (applicant_person_id, created_at);
CREATE INDEX svc_applications_month ON svc_applications (province_code, submitted_month);

CREATE TABLE svc_events (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES svc_applications(id),
    at BIGINT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_label TEXT NOT NULL,
    kind TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX svc_events_application ON svc_events (application_id, at);

CREATE TABLE svc_attachments (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES svc_applications(id),
    slot TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX svc_attachments_application ON svc_attachments (application_id);

CREATE TABLE svc_payments (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES svc_applications(id),
    amount_vnd BIGINT NOT NULL,
    status TEXT NOT NULL,
    gateway_ref TEXT,
    created_at BIGINT NOT NULL,
    paid_at BIGINT,
    refunded_at BIGINT
);
CREATE INDEX svc_payments_application ON svc_payments (application_id);

CREATE TABLE svc_documents (
    code TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES svc_applications(id),
    title TEXT NOT NULL,
    payload TEXT NOT NULL,
    jws TEXT NOT NULL,
    issued_at BIGINT NOT NULL
);
CREATE INDEX svc_documents_application ON svc_documents (application_id);

-- Public holidays on which statutory processing days do not run (weekends never do).
CREATE TABLE svc_holidays (
    day TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE svc_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
