//! dancu's integration tests: the real server on a free loopback port, driven over HTTP, on SQLite
//! and (when `DANCU_TEST_DATABASE_URL` is set) PostgreSQL, plus the browser, CLI and repository
//! checks. One test binary with a module per area: each binary links the whole application, so a
//! binary per file would multiply link time and disk use by the number of files.
//!
//! Run one area with `cargo test -p dancu --test it lodging::`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::disallowed_methods)]

mod common;

mod access_log_words;
mod analytics;
mod backup;
mod browser;
mod browser_roles;
mod browser_services;
mod cli_lodging;
mod config_trace;
mod confirm_not_reveal;
mod demo_network;
mod demo_output;
mod error_codes;
mod exchange;
mod exchange_subscriptions;
mod http_limits;
mod idempotency;
mod identity_accounts;
mod identity_passkeys;
mod lodging;
mod lodging_nats;
mod migration_files;
mod oidc;
mod oidc_token_limit;
mod openapi;
mod pages;
mod programs_api;
mod programs_forms;
mod record_access;
mod registry_api;
mod registry_data;
mod retention;
mod security_events;
mod security_headers;
mod services;
mod services_checks;
mod table_ownership;
mod verification;
mod verification_admin;
