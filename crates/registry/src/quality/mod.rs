//! Data quality of the registry — "đúng, đủ, sạch, sống" (correct, complete, clean, current).
//!
//! A run checks every person against the rules, stores the findings (replacing the previous run's)
//! and the report reads counts per rule and commune from them, so dashboards stay fast on millions
//! of records. Per-record rules run in Rust over one streaming scan; rules that compare tables run
//! as SQL.

mod person_rules;
mod report;
mod rules;
mod run;

pub use report::{findings, report, Finding, QualityReport, RuleCount};
pub use rules::{Group, Rule, RULES};
pub use run::{run, RunSummary};
