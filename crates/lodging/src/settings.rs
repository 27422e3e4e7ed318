//! The `[lodging]` section of the configuration.

use serde::{Deserialize, Serialize};

/// Settings of lodging notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LodgingSettings {
    /// NATS server the feed events are also published to (JetStream); none = not published.
    pub nats_url: Option<String>,
    /// Most caregivers one inpatient of a hospital ward may have staying at once (at least 1).
    pub hospital_caregivers: i64,
    /// Days raw venue entry/exit scans are kept before the hourly purge (at least 1).
    pub venue_retention_days: i64,
    /// Hours events stay in the NATS outbox after JetStream acknowledged them (at least 1).
    pub outbox_retention_hours: i64,
}

impl Default for LodgingSettings {
    fn default() -> Self {
        LodgingSettings { nats_url: None, hospital_caregivers: 2, venue_retention_days: 30, outbox_retention_hours: 24 }
    }
}
