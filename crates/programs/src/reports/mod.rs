//! Periodic reports of a unit: a draft pre-filled with its KPIs, edited, submitted, then approved
//! or returned for revision by the working group; the obligations calendar (reminders, late and
//! missing reports); and the consolidated provincial report with its XLSX and PDF exports.

pub mod consolidated;
mod obligations;
pub mod pdf;
mod schedule;
mod workflow;
pub mod xlsx;

pub use obligations::{obligations, Obligation, ObligationState};
pub use schedule::{schedules, set_schedule, Schedule};
pub use workflow::{
    create_draft, decide, edit, get, list, submit, ItemEdit, Report, ReportEdit, ReportItem, ReportStatus,
};
