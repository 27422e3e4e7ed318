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
    /// An agency's or company's system asked through the data exchange.
    Agency,
}

impl ActorKind {
    pub const ALL: [ActorKind; 4] =
        [ActorKind::Officer, ActorKind::Service, ActorKind::Verification, ActorKind::Agency];

    pub fn code(self) -> &'static str {
        match self {
            ActorKind::Officer => "officer",
            ActorKind::Service => "service",
            ActorKind::Verification => "verification",
            ActorKind::Agency => "agency",
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
            ActorKind::Agency => ("Cơ quan qua trục liên thông", "Agency via the data exchange"),
        }
    }

    /// The kind of one log entry.
    pub fn of(r: &AccessRecord) -> ActorKind {
        if r.channel == EXCHANGE_CHANNEL {
            ActorKind::Agency
        } else if r.action.starts_with(VERIFY_PREFIX) {
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
            ActorKind::Agency => f.channels = vec![EXCHANGE_CHANNEL.into()],
        }
    }
}

/// The channel of reads made through the data exchange.
const EXCHANGE_CHANNEL: &str = "exchange";

/// Actions of exchange services that answer yes or no (`exchange.person_verify`).
const EXCHANGE_VERIFY_PREFIX: &str = "exchange.person_verify";

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
        "nationality" => ("Quốc tịch", "Nationality"),
        "ethnicity" => ("Dân tộc", "Ethnic group"),
        _ => ("", ""),
    }
}

/// The released fields of an entry in the reader's language. A code without words (a field added
/// later) is "other information": the citizen never reads an internal field name.
pub fn released_words(released: &str, vi: bool) -> String {
    field_words(released, vi).join(", ")
}

fn field_words(released: &str, vi: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for code in released.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        let (v, e) = field_label(code);
        let word = match (v.is_empty(), vi) {
            (true, true) => "Thông tin khác",
            (true, false) => "Other information",
            (false, true) => v,
            (false, false) => e,
        }
        .to_string();
        if !out.contains(&word) {
            out.push(word);
        }
    }
    out
}

/// Repeats of the same access — the same actor, purpose, data and case — within this window are
/// told once with their count: a record reloaded or opened tab by tab is one look at the data.
pub const FOLD_WINDOW_MS: i64 = 10 * 60 * 1000;

/// An entry of the log as the citizen reads it: one sentence, repeats folded.
#[derive(Debug, Clone, PartialEq)]
pub struct Told {
    /// The access-log row of the latest access of the group (its seal proves the group's entry).
    pub newest_id: i64,
    /// The latest access of the group (UTC milliseconds).
    pub at: i64,
    /// The earliest access of the group.
    pub first_at: i64,
    /// How many accesses the sentence stands for.
    pub count: usize,
    pub kind: ActorKind,
    /// The citizen read their own data (their lodging history, their identity QR…).
    pub own: bool,
    pub sentence: String,
}

/// Tells `records` (newest first, as stored) in the reader's language; `own_account` is the
/// citizen's account, whose reads are told as theirs; `window_ms` folds repeats (0 folds none).
pub fn tell(records: &[AccessRecord], own_account: &str, vi: bool, window_ms: i64) -> Vec<Told> {
    let mut out: Vec<Told> = Vec::new();
    let mut last: Option<&AccessRecord> = None;
    for r in records {
        let repeat = last.is_some_and(|l| same_access(l, r));
        match out.last_mut() {
            Some(t) if repeat && t.at - r.at <= window_ms => {
                t.count += 1;
                t.first_at = r.at;
            }
            _ => {
                let own = r.actor_id == own_account;
                out.push(Told {
                    newest_id: r.id,
                    at: r.at,
                    first_at: r.at,
                    count: 1,
                    kind: ActorKind::of(r),
                    own,
                    sentence: sentence(r, own, vi),
                });
            }
        }
        last = Some(r);
    }
    out
}

fn same_access(a: &AccessRecord, b: &AccessRecord) -> bool {
    a.actor_id == b.actor_id
        && a.purpose == b.purpose
        && a.released == b.released
        && a.case_ref == b.case_ref
        && ActorKind::of(a) == ActorKind::of(b)
}

/// "Cán bộ A (Công an xã) đã xem họ và tên, ngày sinh của bạn để quản lý dân cư."
fn sentence(r: &AccessRecord, own: bool, vi: bool) -> String {
    let words: Vec<String> = field_words(&r.released, vi).iter().map(|w| lower_first(w)).collect();
    let data = match (words.split_last(), vi) {
        (None, true) => "thông tin".to_string(),
        (None, false) => "information".to_string(),
        (Some((last, [])), _) => last.clone(),
        (Some((last, rest)), true) => format!("{} và {last}", rest.join(", ")),
        (Some((last, rest)), false) => format!("{} and {last}", rest.join(", ")),
    };
    let purpose = match Purpose::find(&r.purpose) {
        Some(p) => lower_first(if vi { p.vi } else { p.en }),
        None if vi => "mục đích khác".to_string(),
        None => "another purpose".to_string(),
    };
    let case = match (r.case_ref.as_deref().filter(|c| !c.is_empty()), vi) {
        (Some(c), true) => format!(" (hồ sơ {c})"),
        (Some(c), false) => format!(" (case {c})"),
        (None, _) => String::new(),
    };
    let who = &r.actor_label;
    match (own, ActorKind::of(r), vi) {
        (true, _, true) => format!("Bạn đã xem {data} của chính mình."),
        (true, _, false) => format!("You viewed your own {data}."),
        (false, ActorKind::Officer, true) => format!("{who} đã xem {data} của bạn để {purpose}{case}."),
        (false, ActorKind::Officer, false) => format!("{who} viewed your {data} for {purpose}{case}."),
        (false, ActorKind::Service, true) => format!("{who} đã nhận {data} của bạn khi bạn đăng nhập."),
        (false, ActorKind::Service, false) => format!("{who} received your {data} when you signed in."),
        (false, ActorKind::Verification, true) => {
            format!("{who} đã xác thực danh tính của bạn, đối chiếu {data}, để {purpose}{case}.")
        }
        (false, ActorKind::Verification, false) => {
            format!("{who} verified your identity, checking your {data}, for {purpose}{case}.")
        }
        (false, ActorKind::Agency, true) if r.action.starts_with(EXCHANGE_VERIFY_PREFIX) => {
            format!(
                "{who} đã đối chiếu {data} của bạn qua trục liên thông dữ liệu để {purpose}{case}, không nhận dữ liệu."
            )
        }
        (false, ActorKind::Agency, false) if r.action.starts_with(EXCHANGE_VERIFY_PREFIX) => {
            format!("{who} checked your {data} through the data exchange for {purpose}{case}, receiving no data.")
        }
        (false, ActorKind::Agency, true) => {
            format!("{who} đã nhận {data} của bạn qua trục liên thông dữ liệu để {purpose}{case}.")
        }
        (false, ActorKind::Agency, false) => {
            format!("{who} received your {data} through the data exchange for {purpose}{case}.")
        }
    }
}

/// The text with its first letter in lower case, to sit inside a sentence.
fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
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
        assert_eq!(released_words("something_new,internal_x", true), "Thông tin khác");
    }

    fn record(at: i64, actor: &str, purpose: &str, released: &str) -> AccessRecord {
        AccessRecord {
            id: at,
            at,
            actor_id: actor.into(),
            actor_label: format!("Cán bộ {actor} (Công an xã)"),
            subject_id: "001090012345".into(),
            action: "person.view".into(),
            purpose: purpose.into(),
            released: released.into(),
            channel: "web".into(),
            case_ref: None,
        }
    }

    #[test]
    fn entries_read_as_sentences_without_field_codes() {
        let mut r = record(1_000, "a1", "investigation", "full_name,commune,internal_flag");
        r.case_ref = Some("VA-12/2026".into());
        let vi = tell(std::slice::from_ref(&r), "me", true, FOLD_WINDOW_MS);
        assert_eq!(
            vi[0].sentence,
            "Cán bộ a1 (Công an xã) đã xem họ và tên, nơi cư trú và thông tin khác của bạn để điều tra, xác minh \
             (hồ sơ VA-12/2026)."
        );
        let en = tell(std::slice::from_ref(&r), "me", false, FOLD_WINDOW_MS);
        assert_eq!(
            en[0].sentence,
            "Cán bộ a1 (Công an xã) viewed your full name, residence and other information for investigation and \
             verification (case VA-12/2026)."
        );
        assert!(!vi[0].sentence.contains("internal_flag") && !vi[0].sentence.contains("commune"));
        let mine = tell(&[record(5, "me", "administration", "residence_history")], "me", true, FOLD_WINDOW_MS);
        assert!(mine[0].own);
        assert_eq!(mine[0].sentence, "Bạn đã xem lịch sử cư trú của chính mình.");
    }

    #[test]
    fn exchange_calls_are_told_as_an_agency_asking() {
        let mut r = record(1_000, "exchange:BHXH-08/thu-chi", "public_service", "personal_id,full_name,status");
        r.actor_label = "Bảo hiểm xã hội tỉnh – Hệ thống thu chi".into();
        r.channel = "exchange".into();
        r.action = "exchange.person_verify".into();
        let told = tell(std::slice::from_ref(&r), "me", true, FOLD_WINDOW_MS);
        assert_eq!(told[0].kind, ActorKind::Agency);
        assert_eq!(
            told[0].sentence,
            "Bảo hiểm xã hội tỉnh – Hệ thống thu chi đã đối chiếu số định danh cá nhân, họ và tên và tình trạng (còn \
             sống, đã mất) của bạn qua trục liên thông dữ liệu để giải quyết thủ tục hành chính, không nhận dữ liệu."
        );
        r.action = "exchange.person_lookup".into();
        let en = tell(std::slice::from_ref(&r), "me", false, FOLD_WINDOW_MS);
        assert!(en[0].sentence.contains("received your personal identification number"), "{}", en[0].sentence);
        let mut f = AccessFilter::default();
        ActorKind::Agency.filter(&mut f);
        assert_eq!(f.channels, vec!["exchange".to_string()]);
    }

    #[test]
    fn repeats_within_the_window_are_told_once_with_their_count() {
        let minute = 60_000;
        let t0 = 100 * FOLD_WINDOW_MS;
        let records = [
            record(t0, "a1", "administration", "full_record"),
            record(t0 - minute, "a1", "administration", "full_record"),
            record(t0 - 2 * minute, "a1", "administration", "full_record"),
            // Another purpose breaks the run.
            record(t0 - 3 * minute, "a1", "investigation", "full_record"),
            record(t0 - 4 * minute, "a1", "administration", "full_record"),
            // The same read long after is told again.
            record(t0 - 4 * minute - FOLD_WINDOW_MS - 1, "a1", "administration", "full_record"),
        ];
        let told = tell(&records, "me", true, FOLD_WINDOW_MS);
        let counts: Vec<usize> = told.iter().map(|t| t.count).collect();
        assert_eq!(counts, [3, 1, 1, 1]);
        assert_eq!((told[0].at, told[0].first_at), (t0, t0 - 2 * minute));
        assert_eq!(tell(&records, "me", true, 0).len(), records.len());
    }
}
