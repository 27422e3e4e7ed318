//! The computed KPIs. They read the population registry, e-ID accounts, lodging notifications and
//! venue check-ins through those modules' per-commune counts; the others wait for the modules that
//! will collect their data and say so.

use chrono::Datelike;
use db::Db;
use futures::future::BoxFuture;
use kernel::AppError;
use registry::queries::stats::{self, CommuneTally};

use super::{Formula, Source};
use crate::catalogue::{Direction, KpiUnit};

/// Cards of living residents that are expired ("sống": current data).
struct ExpiredCards;

impl Source for ExpiredCards {
    fn tally<'a>(&'a self, db: &'a Db, now: i64) -> BoxFuture<'a, Result<Option<Vec<CommuneTally>>, AppError>> {
        let today = kernel::clock::date_vn(now);
        Box::pin(async move { stats::expired_cards(db, today).await.map(Some) })
    }
}

/// Residents aged 14+ holding a valid card, the precondition of a level-2 e-ID.
struct AdultsWithCard;

impl Source for AdultsWithCard {
    fn tally<'a>(&'a self, db: &'a Db, now: i64) -> BoxFuture<'a, Result<Option<Vec<CommuneTally>>, AppError>> {
        let today = kernel::clock::date_vn(now);
        Box::pin(async move { stats::adults_with_valid_card(db, today).await.map(Some) })
    }
}

/// Records passing every data-quality rule of the latest run.
struct QualityPass;

impl Source for QualityPass {
    fn tally<'a>(&'a self, db: &'a Db, _now: i64) -> BoxFuture<'a, Result<Option<Vec<CommuneTally>>, AppError>> {
        Box::pin(async move { Ok(stats::passing_quality(db).await?.map(|(_, t)| t)) })
    }
}

/// Residents aged 14+ with an activated level-2 e-ID account.
struct EidLevel2;

impl Source for EidLevel2 {
    fn tally<'a>(&'a self, db: &'a Db, now: i64) -> BoxFuture<'a, Result<Option<Vec<CommuneTally>>, AppError>> {
        let today = kernel::clock::date_vn(now);
        Box::pin(async move { identity::stats::level2_adults_by_commune(db, today).await.map(Some) })
    }
}

/// How far back a facility's last lodging notification may be for it to count as active.
const LODGING_WINDOW_MS: i64 = 30 * 24 * 3600 * 1000;

/// Approved lodging facilities that notified the police in the last 30 days.
struct ActiveLodging;

impl Source for ActiveLodging {
    fn tally<'a>(&'a self, db: &'a Db, now: i64) -> BoxFuture<'a, Result<Option<Vec<CommuneTally>>, AppError>> {
        Box::pin(async move {
            let since = now - LODGING_WINDOW_MS;
            lodging::stats::active_facilities_by_commune(db, since).await.map(Some)
        })
    }
}

/// Entries scanned at relic sites and tourist areas since the first of the month (`lodging::venue_stats`).
struct VisitorSiteEntries;

impl Source for VisitorSiteEntries {
    fn tally<'a>(&'a self, db: &'a Db, now: i64) -> BoxFuture<'a, Result<Option<Vec<CommuneTally>>, AppError>> {
        let today = kernel::clock::date_vn(now);
        Box::pin(async move {
            let first = today.with_day(1).unwrap_or(today);
            lodging::venue_stats::entries_by_commune(db, lodging::venue_stats::VISITOR_SITES, first, today)
                .await
                .map(Some)
        })
    }
}

/// Shares of public-service applications over the last 12 months (`services::stats`).
struct PublicServices(services::stats::Share);

impl Source for PublicServices {
    fn tally<'a>(&'a self, db: &'a Db, now: i64) -> BoxFuture<'a, Result<Option<Vec<CommuneTally>>, AppError>> {
        let today = kernel::clock::date_vn(now);
        Box::pin(async move { services::stats::commune_tally(db, self.0, today).await.map(Some) })
    }
}

/// Every computed KPI the platform knows.
pub static FORMULAS: &[Formula] = &[
    Formula {
        code: "cards_expired_share",
        name: ("Tỷ lệ thẻ căn cước đã hết hạn", "Share of identity cards expired"),
        definition: (
            "Số thẻ đã hết hạn (ghi nhận hết hạn hoặc quá ngày hết hạn) / số thẻ hiện hành (còn hạn hoặc hết hạn) \
             của người đang sinh sống, theo xã nơi ở hiện tại — dữ liệu \"sống\".",
            "Expired cards (recorded expired, or past their expiry date) / current cards (valid or expired) of \
             living residents, by commune of current residence — \"current\" data.",
        ),
        awaiting: ("", ""),
        unit: KpiUnit::Percent,
        direction: Direction::Down,
        models: &["24", "36"],
        source: &ExpiredCards,
    },
    Formula {
        code: "adults_valid_card_share",
        name: ("Tỷ lệ công dân từ 14 tuổi có thẻ căn cước còn hạn", "Share of residents aged 14+ with a valid card"),
        definition: (
            "Số công dân Việt Nam đang sinh sống, từ đủ 14 tuổi, có thẻ căn cước gắn chip còn hạn / tổng số công \
             dân đang sinh sống từ đủ 14 tuổi — điều kiện để kích hoạt định danh điện tử mức 2.",
            "Living Vietnamese residents aged 14 or more holding a valid chip card / all living residents aged 14 \
             or more — the precondition of a level-2 e-ID.",
        ),
        awaiting: ("", ""),
        unit: KpiUnit::Percent,
        direction: Direction::Up,
        models: &["24"],
        source: &AdultsWithCard,
    },
    Formula {
        code: "quality_pass_share",
        name: ("Tỷ lệ hồ sơ đạt quy tắc chất lượng dữ liệu", "Share of records passing the data-quality rules"),
        definition: (
            "Số nhân khẩu không vi phạm quy tắc nào trong lần kiểm tra chất lượng gần nhất (đúng, đủ, sạch, sống) \
             / tổng số nhân khẩu, theo xã.",
            "Persons with no finding in the latest data-quality run (correct, complete, clean, current) / all \
             persons, by commune.",
        ),
        awaiting: ("", ""),
        unit: KpiUnit::Percent,
        direction: Direction::Up,
        models: &["36"],
        source: &QualityPass,
    },
    Formula {
        code: "eid_level2_share",
        name: (
            "Tỷ lệ công dân từ 14 tuổi có định danh điện tử mức 2",
            "Share of residents aged 14+ with a level-2 e-ID",
        ),
        definition: (
            "Số công dân từ đủ 14 tuổi có tài khoản định danh điện tử mức 2 đã kích hoạt / tổng số công dân từ đủ \
             14 tuổi đang sinh sống.",
            "Residents aged 14 or more with an activated level-2 e-ID account / all living residents aged 14 or \
             more.",
        ),
        awaiting: ("", ""),
        unit: KpiUnit::Percent,
        direction: Direction::Up,
        models: &["24"],
        source: &EidLevel2,
    },
    Formula {
        code: "lodging_active_share",
        name: (
            "Tỷ lệ cơ sở lưu trú có thông báo lưu trú trong 30 ngày",
            "Share of lodging facilities notifying in the last 30 days",
        ),
        definition: (
            "Số cơ sở kinh doanh lưu trú đã được Công an phê duyệt của xã gửi ít nhất một thông báo lưu trú trong \
             30 ngày gần nhất / tổng số cơ sở lưu trú đã được phê duyệt của xã.",
            "Police-approved accommodation facilities of the commune that sent at least one lodging notification \
             in the last 30 days / all approved accommodation facilities of the commune.",
        ),
        awaiting: ("", ""),
        unit: KpiUnit::Percent,
        direction: Direction::Up,
        models: &["9", "10"],
        source: &ActiveLodging,
    },
    Formula {
        code: "online_applications_share",
        name: (
            "Tỷ lệ hồ sơ nộp trực tuyến (DVC thiết yếu)",
            "Share of applications submitted online (essential services)",
        ),
        definition: (
            "Số hồ sơ của 25 dịch vụ công thiết yếu nộp trực tuyến (Cổng dịch vụ công hoặc ki-ốt) / tổng số hồ sơ \
             của các dịch vụ đó nộp trong 12 tháng gần nhất, theo xã tiếp nhận; chi tiết từng dịch vụ tại \
             /api/v1/services/stats.",
            "Applications for the 25 essential public services submitted online (portal or kiosk) / all \
             applications for those services in the last 12 months, by receiving commune; per service at \
             /api/v1/services/stats.",
        ),
        awaiting: ("", ""),
        unit: KpiUnit::Percent,
        direction: Direction::Up,
        models: &["1", "3", "5"],
        source: &PublicServices(services::stats::Share::OnlineApplications),
    },
    Formula {
        code: "online_payments_share",
        name: ("Tỷ lệ hồ sơ có phí, lệ phí thanh toán trực tuyến", "Share of fee-bearing applications paid online"),
        definition: (
            "Số hồ sơ có phí, lệ phí được thanh toán trực tuyến / tổng số hồ sơ có phí, lệ phí nộp trong 12 tháng \
             gần nhất, theo xã tiếp nhận.",
            "Applications with fees paid online / all applications with fees, submitted in the last 12 months, by \
             receiving commune.",
        ),
        awaiting: ("", ""),
        unit: KpiUnit::Percent,
        direction: Direction::Up,
        models: &["BG-1", "TH-3"],
        source: &PublicServices(services::stats::Share::OnlinePayments),
    },
    Formula {
        code: "relic_site_checkins",
        name: ("Số lượt quét mã ra/vào tại khu di tích, điểm du lịch", "Venue check-ins at relic and tourist sites"),
        definition: (
            "Số lượt quét mã QR căn cước / VNeID ghi nhận tại các khu di tích, điểm tham quan trong tháng.",
            "Identity QR / VNeID check-ins recorded at relic sites and tourist attractions in the month.",
        ),
        awaiting: ("", ""),
        unit: KpiUnit::Count,
        direction: Direction::Up,
        models: &["13", "22"],
        source: &VisitorSiteEntries,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/PROGRAMS.md lists every formula with its source: "none yet" exactly for the formulas
    /// with no source, so the page never claims data the platform lacks, or hides data it has.
    #[test]
    fn the_documented_sources_match_the_formulas() {
        let doc = include_str!("../../../../docs/PROGRAMS.md");
        for f in FORMULAS {
            let row = doc
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` |", f.code)))
                .unwrap_or_else(|| panic!("{} is not in docs/PROGRAMS.md", f.code));
            let source = row.trim_end_matches('|').rsplit('|').next().unwrap_or_default();
            assert_eq!(source.contains("none yet"), !f.source.available(), "{}: {row}", f.code);
        }
    }

    #[test]
    fn codes_are_unique_and_models_exist() {
        let catalogue = crate::catalogue::parse_embedded(1_750_000_000_000).unwrap();
        for (i, f) in FORMULAS.iter().enumerate() {
            assert!(FORMULAS[i + 1..].iter().all(|g| g.code != f.code), "{} twice", f.code);
            assert!(!f.definition.0.is_empty() && !f.definition.1.is_empty());
            assert_eq!(f.source.available(), f.awaiting.0.is_empty(), "{}: awaiting text iff no source", f.code);
            for m in f.models {
                assert!(catalogue.iter().any(|(c, _)| c.id == *m), "{}: unknown model {m}", f.code);
            }
        }
    }
}
