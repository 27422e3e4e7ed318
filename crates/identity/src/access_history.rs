//! The citizen's own access log ("Nhật ký truy cập dữ liệu của tôi"): every officer read,
//! verification and claim release about them, in plain words, filtered by date, kind of actor
//! and purpose.

use audit::{AccessFilter, AccessRecord, Purpose};
use db::Db;
use kernel::{AppError, Page, PageRequest, PartialDate};

/// Who accessed the data, as the citizen thinks of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    /// An officer read the record (web pages or API).
    Officer,
    /// A service the citizen signed in to received claims (OpenID Connect).
    Service,
    /// An identity verification (card, QR or chip check).
    Verification,
}

impl ActorKind {
    pub const ALL: [ActorKind; 3] = [ActorKind::Officer, ActorKind::Service, ActorKind::Verification];

    pub fn code(self) -> &'static str {
        match self {
            ActorKind::Officer => "officer",
            ActorKind::Service => "service",
            ActorKind::Verification => "verification",
        }
    }

    pub fn parse(s: &str) -> Option<ActorKind> {
        ActorKind::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            ActorKind::Officer => ("Cán bộ tra cứu", "Officer read"),
            ActorKind::Service => ("Dịch vụ bạn đăng nhập", "Service you signed in to"),
            ActorKind::Verification => ("Xác thực danh tính", "Identity verification"),
        }
    }

    /// The kind of one log entry.
    pub fn of(r: &AccessRecord) -> ActorKind {
        if r.action.starts_with(VERIFY_PREFIX) {
            ActorKind::Verification
        } else if r.channel == "oidc" {
            ActorKind::Service
        } else {
            ActorKind::Officer
        }
    }

    fn filter(self, f: &mut AccessFilter) {
        match self {
            ActorKind::Officer => {
                f.channels = vec!["web".into(), "api".into()];
                f.exclude_action_prefix = Some(VERIFY_PREFIX.into());
            }
            ActorKind::Service => f.channels = vec!["oidc".into()],
            ActorKind::Verification => f.action_prefix = Some(VERIFY_PREFIX.into()),
        }
    }
}

/// Actions the verification service writes (`verification.card_qr`, `…dynamic_qr`, `…chip`).
const VERIFY_PREFIX: &str = "verification.";

/// Filters from the page's form, as typed (dates `dd/mm/yyyy`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct HistoryQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub kind: Option<String>,
    pub purpose: Option<String>,
    pub page: Option<u32>,
}

/// The first instant of a day in Vietnam time, in UTC milliseconds.
pub(crate) fn day_start_ms(d: chrono::NaiveDate) -> Option<i64> {
    d.and_hms_opt(0, 0, 0)?.and_local_timezone(kernel::clock::vietnam_offset()).single().map(|t| t.timestamp_millis())
}

impl HistoryQuery {
    /// The storage filter: `from` and `to` are whole days in Vietnam time, both included.
    pub fn to_filter(&self) -> Result<AccessFilter, AppError> {
        let mut f = AccessFilter::default();
        let date = |s: &Option<String>| -> Result<Option<PartialDate>, AppError> {
            s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(PartialDate::parse_vn).transpose()
        };
        if let Some(d) = date(&self.from)? {
            f.from_ms = day_start_ms(d.earliest());
        }
        if let Some(d) = date(&self.to)? {
            f.until_ms = d.latest().succ_opt().and_then(day_start_ms);
        }
        if let Some(k) = self.kind.as_deref().filter(|k| !k.is_empty()) {
            ActorKind::parse(k).ok_or_else(|| AppError::invalid("unknown kind"))?.filter(&mut f);
        }
        if let Some(p) = self.purpose.as_deref().filter(|p| !p.is_empty()) {
            f.purpose = Some(Purpose::find(p).ok_or_else(|| AppError::invalid("unknown purpose"))?.code.to_string());
        }
        Ok(f)
    }
}

/// One page of a citizen's log.
pub async fn history(
    db: &Db,
    person_id: &str,
    q: &HistoryQuery,
    page: PageRequest,
) -> Result<Page<AccessRecord>, AppError> {
    audit::search_for_subject(db, person_id, &q.to_filter()?, page).await
}

/// Plain-language names of released data.
pub fn field_label(code: &str) -> (&'static str, &'static str) {
    match code {
        "full_record" => ("Toàn bộ thông tin cá nhân", "Full personal record"),
        "full_name" | "name" => ("Họ và tên", "Full name"),
        "family_name" | "given_name" | "middle_name" => ("Họ, tên", "Name parts"),
        "gender" => ("Giới tính", "Gender"),
        "birth_date" | "birthdate" | "birthdate_precision" => ("Ngày sinh", "Date of birth"),
        "status" => ("Tình trạng (còn sống, đã mất)", "Status (living, deceased)"),
        "commune" | "address" => ("Nơi cư trú", "Residence"),
        "relationship" => ("Quan hệ với chủ hộ", "Relationship to the household head"),
        "residence_history" => ("Lịch sử cư trú", "Residence history"),
        "identity_cards" => ("Thẻ căn cước", "Identity cards"),
        "change_history" => ("Lịch sử thay đổi thông tin", "Change history"),
        "finding" => ("Kết quả kiểm tra chất lượng dữ liệu", "Data-quality finding"),
        "phone_number" | "phone" => ("Số điện thoại", "Phone number"),
        "personal_id" | "pid" => ("Số định danh cá nhân", "Personal identification number"),
        "level" | "acr" => ("Mức định danh điện tử", "e-ID level"),
        "match_result" => ("Kết quả đối chiếu", "Match result"),
        "card_status" => ("Tình trạng thẻ", "Card status"),
        "person_status" => ("Tình trạng công dân", "Person status"),
        "age_over_18" => ("Đủ 18 tuổi hay chưa", "Whether aged 18 or over"),
        _ => ("", ""),
    }
}

/// The released fields of an entry in the reader's language (unknown codes as they are).
pub fn released_words(released: &str, vi: bool) -> String {
    let mut out: Vec<String> = Vec::new();
    for code in released.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let (v, e) = field_label(code);
        let word = if v.is_empty() {
            code.to_string()
        } else if vi {
            v.to_string()
        } else {
            e.to_string()
        };
        if !out.contains(&word) {
            out.push(word);
        }
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_whole_vietnam_days() {
        let q = HistoryQuery { from: Some("02/01/2025".into()), to: Some("02/01/2025".into()), ..Default::default() };
        let f = q.to_filter().unwrap();
        // 2 January 2025 00:00 in Vietnam is 1 January 17:00 UTC.
        assert_eq!(f.from_ms, Some(1_735_750_800_000));
        assert_eq!(f.until_ms, Some(1_735_750_800_000 + 86_400_000));
        assert!(HistoryQuery { kind: Some("robot".into()), ..Default::default() }.to_filter().is_err());
        assert!(HistoryQuery { from: Some("32/01/2025".into()), ..Default::default() }.to_filter().is_err());
    }

    #[test]
    fn released_fields_in_words() {
        assert_eq!(released_words("full_name,birth_date,birthdate", true), "Họ và tên, Ngày sinh");
        assert_eq!(released_words("full_record", false), "Full personal record");
        assert_eq!(released_words("something_new", true), "something_new");
    }
}
