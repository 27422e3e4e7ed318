-- Project 06 programme tracking: pilot-model catalogue (versioned), units and their focal points,
-- registrations with targets and plans, manual KPI values, computed-KPI snapshots, periodic reports.
-- Ids: catalogue ids as in pilot-models.json ("1", "24", "BG-1"), unit ids are readable slugs,
-- other ids UUIDv7 text. Dates: YYYY-MM-DD text. Timestamps: UTC milliseconds. Flags: 0/1 BIGINT.

CREATE TABLE program_models (
    id TEXT PRIMARY KEY,
    number BIGINT,
    sort_key BIGINT NOT NULL,
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL,
    group_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    goal_vi TEXT NOT NULL,
    goal_en TEXT NOT NULL,
    lead_unit_vi TEXT NOT NULL,
    lead_unit_en TEXT NOT NULL,
    tools_vi TEXT NOT NULL,
    tools_en TEXT NOT NULL,
    active BIGINT NOT NULL,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Every edit of a model appends its full content here (version 1 is the import).
CREATE TABLE program_model_versions (
    model_id TEXT NOT NULL REFERENCES program_models(id),
    version BIGINT NOT NULL,
    data TEXT NOT NULL,
    note TEXT NOT NULL,
    edited_by TEXT NOT NULL,
    edited_at BIGINT NOT NULL,
    PRIMARY KEY (model_id, version)
);

CREATE TABLE program_kpis (
    id TEXT PRIMARY KEY,
    model_id TEXT NOT NULL REFERENCES program_models(id),
    seq BIGINT NOT NULL,
    name_vi TEXT NOT NULL,
    name_en TEXT NOT NULL,
    target_text TEXT NOT NULL,
    source TEXT NOT NULL,
    formula TEXT,
    unit TEXT NOT NULL,
    direction TEXT NOT NULL,
    active BIGINT NOT NULL
);
CREATE INDEX program_kpis_model ON program_kpis (model_id, seq);

CREATE TABLE program_units (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    commune_code TEXT,
    province_code TEXT NOT NULL,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX program_units_kind ON program_units (kind, name_folded);

-- Focal-point accounts (identity accounts with role unit_focal) of each unit.
CREATE TABLE unit_members (
    account_id TEXT PRIMARY KEY,
    unit_id TEXT NOT NULL REFERENCES program_units(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX unit_members_unit ON unit_members (unit_id);

CREATE TABLE program_registrations (
    id TEXT PRIMARY KEY,
    unit_id TEXT NOT NULL REFERENCES program_units(id),
    model_id TEXT NOT NULL REFERENCES program_models(id),
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    registered_by TEXT NOT NULL,
    registered_at BIGINT NOT NULL,
    decided_by TEXT,
    decided_at BIGINT,
    decision_note TEXT,
    version BIGINT NOT NULL,
    UNIQUE (unit_id, model_id)
);
CREATE INDEX program_registrations_model ON program_registrations (model_id);

CREATE TABLE program_targets (
    registration_id TEXT NOT NULL REFERENCES program_registrations(id),
    kpi_id TEXT NOT NULL REFERENCES program_kpis(id),
    target_value DOUBLE PRECISION NOT NULL,
    deadline TEXT NOT NULL,
    PRIMARY KEY (registration_id, kpi_id)
);

CREATE TABLE program_steps (
    registration_id TEXT NOT NULL REFERENCES program_registrations(id),
    seq BIGINT NOT NULL,
    title TEXT NOT NULL,
    due_date TEXT NOT NULL,
    done_at BIGINT,
    PRIMARY KEY (registration_id, seq)
);

-- Values of manual KPIs reported by a unit, with their evidence.
CREATE TABLE program_kpi_values (
    id TEXT PRIMARY KEY,
    registration_id TEXT NOT NULL REFERENCES program_registrations(id),
    kpi_id TEXT NOT NULL REFERENCES program_kpis(id),
    value DOUBLE PRECISION NOT NULL,
    evidence_url TEXT,
    attachment_name TEXT,
    attachment_type TEXT,
    attachment BLOB,
    comment TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    reported_at BIGINT NOT NULL
);
CREATE INDEX program_kpi_values_reg ON program_kpi_values (registration_id, kpi_id, reported_at);

-- Monthly history of computed KPIs: scope is 'province:CODE' or 'commune:CODE'.
CREATE TABLE kpi_snapshots (
    formula TEXT NOT NULL,
    scope TEXT NOT NULL,
    month TEXT NOT NULL,
    numerator DOUBLE PRECISION NOT NULL,
    denominator DOUBLE PRECISION NOT NULL,
    value DOUBLE PRECISION,
    computed_at BIGINT NOT NULL,
    PRIMARY KEY (formula, scope, month)
);

-- Reporting calendar: which periodic reports a unit owes and the due day.
CREATE TABLE program_schedules (
    unit_id TEXT NOT NULL REFERENCES program_units(id),
    frequency TEXT NOT NULL,
    due_day BIGINT NOT NULL,
    PRIMARY KEY (unit_id, frequency)
);

CREATE TABLE program_reports (
    id TEXT PRIMARY KEY,
    unit_id TEXT NOT NULL REFERENCES program_units(id),
    frequency TEXT NOT NULL,
    period TEXT NOT NULL,
    due_date TEXT NOT NULL,
    status TEXT NOT NULL,
    summary TEXT NOT NULL,
    difficulties TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    submitted_at BIGINT,
    decided_by TEXT,
    decided_at BIGINT,
    decision_note TEXT,
    version BIGINT NOT NULL,
    UNIQUE (unit_id, frequency, period)
);
CREATE INDEX program_reports_period ON program_reports (frequency, period);

CREATE TABLE program_report_items (
    report_id TEXT NOT NULL REFERENCES program_reports(id),
    registration_id TEXT NOT NULL REFERENCES program_registrations(id),
    kpi_id TEXT NOT NULL REFERENCES program_kpis(id),
    value DOUBLE PRECISION,
    target DOUBLE PRECISION,
    computed BIGINT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (report_id, registration_id, kpi_id)
);

-- Report header settings (issuing body, number, place) and the province the programme covers.
CREATE TABLE program_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
