//! An application as stored and as the API and pages show it.

use db::sqlx::Row;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::prefill::PrefillItem;

/// Where an application was submitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The citizen, signed in with their e-ID (web or app).
    Online,
    /// A self-service kiosk of a public administration centre.
    Kiosk,
    /// Entered by a desk officer for a citizen at the counter.
    Counter,
}

impl Channel {
    pub fn code(self) -> &'static str {
        match self {
            Channel::Online => "online",
            Channel::Kiosk => "kiosk",
            Channel::Counter => "counter",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "online" => Some(Channel::Online),
            "kiosk" => Some(Channel::Kiosk),
            "counter" => Some(Channel::Counter),
            _ => None,
        }
    }

    /// Submitted through the online portal (the kiosk is a terminal of the portal).
    pub fn is_online(self) -> bool {
        self != Channel::Counter
    }

    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Channel::Online => ("Trực tuyến", "Online"),
            Channel::Kiosk => ("Ki-ốt tự phục vụ", "Self-service kiosk"),
            Channel::Counter => ("Tại quầy một cửa", "At the one-stop counter"),
        }
    }
}

/// Status codes of the workflow.
pub mod status {
    pub const DRAFT: &str = "draft";
    pub const SUBMITTED: &str = "submitted";
    pub const PROCESSING: &str = "processing";
    pub const INFO_REQUESTED: &str = "info_requested";
    pub const APPROVED: &str = "approved";
    pub const REJECTED: &str = "rejected";
    pub const WITHDRAWN: &str = "withdrawn";

    /// Statuses that still wait for the agency or the citizen.
    pub const OPEN: [&str; 3] = [SUBMITTED, PROCESSING, INFO_REQUESTED];

    /// (Vietnamese, English) wording shown to citizens and officers.
    pub fn label(code: &str) -> (&'static str, &'static str) {
        match code {
            DRAFT => ("Bản nháp", "Draft"),
            SUBMITTED => ("Đã nộp, chờ tiếp nhận", "Submitted, awaiting intake"),
            PROCESSING => ("Đang giải quyết", "Being processed"),
            INFO_REQUESTED => ("Yêu cầu bổ sung", "More information requested"),
            APPROVED => ("Đã có kết quả", "Approved, result issued"),
            REJECTED => ("Từ chối giải quyết", "Rejected"),
            WITHDRAWN => ("Đã rút hồ sơ", "Withdrawn"),
            _ => ("Không rõ", "Unknown"),
        }
    }
}

/// Fee states.
pub mod fee {
    pub const NONE: &str = "none";
    pub const UNPAID: &str = "unpaid";
    pub const PAID: &str = "paid";
    pub const REFUNDED: &str = "refunded";

    pub fn label(code: &str) -> (&'static str, &'static str) {
        match code {
            NONE => ("Không thu phí", "No fee"),
            UNPAID => ("Chưa thanh toán", "Not paid"),
            PAID => ("Đã thanh toán", "Paid"),
            REFUNDED => ("Đã hoàn tiền", "Refunded"),
            _ => ("Không rõ", "Unknown"),
        }
    }
}

/// One application.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Application {
    pub id: String,
    /// Code printed on the receipt (mã hồ sơ), used to look the application up.
    pub receipt_code: String,
    pub procedure_code: String,
    pub procedure_version: i64,
    pub applicant_person_id: String,
    pub applicant_name: String,
    /// The 2025 commune whose agency (or whose province's agency) handles it.
    pub commune_code: String,
    pub province_code: String,
    pub agency_level: String,
    pub handler_role: String,
    pub channel: Channel,
    /// Applicant declared being a public official (for the "officials use online services" KPIs).
    pub by_official: bool,
    pub status: String,
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
    pub prefill: Vec<PrefillItem>,
    pub fee_vnd: i64,
    pub fee_status: String,
    pub paid_online: bool,
    pub assigned_to: Option<String>,
    pub submitted_at: Option<i64>,
    /// Statutory deadline (end of the last working day).
    pub due_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
    /// Verification code of the signed result document.
    pub result_code: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

impl Application {
    /// Open past its deadline.
    pub fn overdue(&self, now_ms: i64) -> bool {
        status::OPEN.contains(&self.status.as_str()) && self.due_at.is_some_and(|d| now_ms > d)
    }
}

/// Columns in the order [`from_row`] reads them.
pub const COLUMNS: &str = "a.id, a.receipt_code, a.procedure_code, a.procedure_version, a.applicant_person_id, \
    a.applicant_name, a.commune_code, a.province_code, a.agency_level, a.handler_role, a.channel, a.by_official, \
    a.status, a.answers, a.prefill, a.fee_vnd, a.fee_status, a.paid_online, a.assigned_to, a.submitted_at, \
    a.due_at, a.decided_at, a.decision_note, a.result_code, a.created_at, a.updated_at, a.version";

pub fn from_row(r: &db::Row) -> Application {
    let answers = match serde_json::from_str(&r.get::<String, _>(13)) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    Application {
        id: r.get(0),
        receipt_code: r.get(1),
        procedure_code: r.get(2),
        procedure_version: r.get(3),
        applicant_person_id: r.get(4),
        applicant_name: r.get(5),
        commune_code: r.get(6),
        province_code: r.get(7),
        agency_level: r.get(8),
        handler_role: r.get(9),
        channel: Channel::parse(&r.get::<String, _>(10)).unwrap_or(Channel::Online),
        by_official: r.get::<i64, _>(11) != 0,
        status: r.get(12),
        answers,
        prefill: serde_json::from_str(&r.get::<String, _>(14)).unwrap_or_default(),
        fee_vnd: r.get(15),
        fee_status: r.get(16),
        paid_online: r.get::<i64, _>(17) != 0,
        assigned_to: r.get(18),
        submitted_at: r.get(19),
        due_at: r.get(20),
        decided_at: r.get(21),
        decision_note: r.get(22),
        result_code: r.get(23),
        created_at: r.get(24),
        updated_at: r.get(25),
        version: r.get(26),
    }
}

/// One step of an application's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Event {
    pub at: i64,
    pub actor_label: String,
    pub kind: String,
    pub note: String,
}

/// (Vietnamese, English) wording of an event kind.
pub fn event_label(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "created" => ("Tạo hồ sơ", "Created"),
        "submitted" => ("Nộp hồ sơ", "Submitted"),
        "accepted" => ("Tiếp nhận hồ sơ", "Accepted for processing"),
        "info_requested" => ("Yêu cầu bổ sung thông tin", "More information requested"),
        "info_provided" => ("Công dân bổ sung thông tin", "Citizen provided information"),
        "assigned" => ("Phân công xử lý", "Assigned"),
        "comment" => ("Ý kiến", "Comment"),
        "paid" => ("Thanh toán trực tuyến", "Paid online"),
        "refunded" => ("Hoàn tiền", "Refunded"),
        "approved" => ("Phê duyệt, trả kết quả", "Approved, result issued"),
        "rejected" => ("Từ chối", "Rejected"),
        "withdrawn" => ("Rút hồ sơ", "Withdrawn"),
        _ => ("Khác", "Other"),
    }
}
