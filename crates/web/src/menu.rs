//! Who sees what: each role's menu and start page, in one table.
//!
//! The menu of a signed-in person holds only the pages their role may open, so nobody clicks into
//! a refusal; `/` and the logo lead to the role's start page (see [`start_page`]). A page added
//! for a role gets its row here, and the browser tests (`tests/it/browser_roles.rs`) check every
//! role's menu against the pages it can really open.

use kernel::Role;

/// One entry of a menu: where it leads, its label in both languages, and (for the citizen's home
/// page, which shows the entries as cards) one sentence saying what is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub href: &'static str,
    pub vi: &'static str,
    pub en: &'static str,
    pub about_vi: &'static str,
    pub about_en: &'static str,
}

const fn link(href: &'static str, vi: &'static str, en: &'static str) -> Link {
    Link { href, vi, en, about_vi: "", about_en: "" }
}

const fn card(
    href: &'static str,
    (vi, en): (&'static str, &'static str),
    (about_vi, about_en): (&'static str, &'static str),
) -> Link {
    Link { href, vi, en, about_vi, about_en }
}

const PERSONS: Link = link("/persons", "Tra cứu dân cư", "Residents");
const QUALITY: Link = link("/quality", "Chất lượng dữ liệu", "Data quality");
const LODGING_POLICE: Link = link("/lodging/police", "Lưu trú", "Lodging");
const WATCHLIST: Link = link("/lodging/watchlist", "Danh sách theo dõi", "Watchlist");
const EID: Link = link("/officer/eid", "Định danh điện tử", "e-ID");
const INBOX: Link = link("/officer/applications", "Hồ sơ cần giải quyết", "Applications");
const KIOSK: Link = link("/kiosk", "Tiếp nhận tại quầy", "Desk kiosk");
const DASHBOARDS: Link = link("/analytics", "Điều hành", "Dashboards");
const PROGRAMS: Link = link("/programs", "Theo dõi Đề án 06", "Project 06 tracking");
const MY_UNIT: Link = link("/programs/my-unit", "Đơn vị của tôi", "My unit");
const REGISTER_MODEL: Link = link("/programs/register", "Đăng ký mô hình", "Register a model");
const NEW_REPORT: Link = link("/programs/reports/new", "Báo cáo kỳ", "Periodic report");
const ADMIN_ACCOUNTS: Link = link("/admin/accounts", "Tài khoản", "Accounts");
const ADMIN_ORGS: Link = link("/admin/organizations", "Tổ chức", "Organizations");
const ADMIN_CLIENTS: Link = link("/admin/clients", "Ứng dụng", "Applications (OIDC)");
const ADMIN_SECURITY: Link = link("/admin/security-events", "Sự kiện an ninh", "Security events");
const ADMIN_SMS: Link = link("/admin/sms-outbox", "Tin nhắn đi", "SMS outbox");
const ADMIN_EXCHANGE: Link = link("/admin/exchange", "Trao đổi dữ liệu", "Data exchange");
const CHECKIN: Link = link("/lodging", "Nhận khách lưu trú", "Guest check-in");
const VERIFY: Link = link("/verify", "Xác minh danh tính", "Verify identity");
const VERIFY_HISTORY: Link = link("/verify/history", "Lịch sử xác minh", "Verification history");
const ORG: Link = link("/org", "Tổ chức của tôi", "My organization");
const VERIFY_LISTS: Link = link("/verify/lists", "Danh sách thí sinh, vé xe", "Candidate and ticket lists");
const FINES: Link = link("/officer/fines", "Quyết định xử phạt", "Fine decisions");

/// The citizen's own pages, shown as cards on their home page.
const CITIZEN: &[Link] = &[
    card(
        "/services",
        ("Dịch vụ công", "Public services"),
        (
            "Nộp hồ sơ trực tuyến: khai sinh, cư trú, lý lịch tư pháp…",
            "Apply online: birth, residence, judicial record…",
        ),
    ),
    card(
        "/applications",
        ("Hồ sơ của tôi", "My applications"),
        ("Theo dõi hồ sơ đã nộp, nhận kết quả, thanh toán phí.", "Follow your applications, get results, pay fees."),
    ),
    card(
        "/me/identity-qr",
        ("Mã QR định danh", "Identity QR"),
        (
            "Mã QR có thời hạn để xuất trình khi làm thủ tục, nhận phòng.",
            "A time-limited QR code to show at a desk or hotel.",
        ),
    ),
    card(
        "/me/lodging",
        ("Lưu trú của tôi", "My lodging"),
        ("Các lần lưu trú đã được cơ sở lưu trú thông báo.", "The stays that lodging facilities reported for you."),
    ),
    card(
        "/notifications",
        ("Thông báo", "Notifications"),
        (
            "Tin báo khi hồ sơ của bạn được tiếp nhận, bổ sung, có kết quả.",
            "Notices when your applications are received, returned or decided.",
        ),
    ),
    card(
        "/account/access-log",
        ("Ai đã xem dữ liệu của tôi", "Who read my data"),
        (
            "Nhật ký các lần cơ quan, tổ chức truy cập dữ liệu của bạn.",
            "Every time an office or organization read your data.",
        ),
    ),
    card(
        "/account",
        ("Tài khoản", "Account"),
        ("Mật khẩu, xác thực hai bước, thiết bị đăng nhập.", "Password, two-step verification, signed-in devices."),
    ),
];

/// The menu of a role: only pages it may open, most used first.
pub fn links(role: Role) -> &'static [Link] {
    match role {
        Role::Admin => &[
            ADMIN_ACCOUNTS,
            ADMIN_ORGS,
            ADMIN_CLIENTS,
            ADMIN_EXCHANGE,
            ADMIN_SECURITY,
            ADMIN_SMS,
            DASHBOARDS,
            PROGRAMS,
        ],
        Role::ProvincialOfficer => &[PERSONS, QUALITY, LODGING_POLICE, INBOX, EID, DASHBOARDS, PROGRAMS],
        Role::CommunePolice => &[LODGING_POLICE, PERSONS, WATCHLIST, EID, INBOX],
        Role::DeskOfficer => &[INBOX, KIOSK],
        Role::Leader => &[DASHBOARDS, PROGRAMS],
        Role::WorkingGroup => &[PROGRAMS],
        Role::UnitFocal => &[MY_UNIT, REGISTER_MODEL, NEW_REPORT, PROGRAMS],
        Role::Citizen => CITIZEN,
        Role::OrgStaff => &[CHECKIN, VERIFY, VERIFY_HISTORY, VERIFY_LISTS, ORG],
        Role::TrafficPolice => &[FINES],
    }
}

/// Where a role starts: `/` after sign-in and the logo lead here.
pub fn start_page(role: Role) -> &'static str {
    match role {
        Role::Admin => ADMIN_ACCOUNTS.href,
        Role::ProvincialOfficer => PERSONS.href,
        Role::CommunePolice => LODGING_POLICE.href,
        Role::DeskOfficer => INBOX.href,
        Role::Leader => DASHBOARDS.href,
        Role::WorkingGroup => PROGRAMS.href,
        Role::UnitFocal => MY_UNIT.href,
        Role::Citizen => CITIZEN_HOME,
        Role::OrgStaff => CHECKIN.href,
        Role::TrafficPolice => FINES.href,
    }
}

/// The citizen's home page, whose cards are their menu.
pub const CITIZEN_HOME: &str = "/me";

/// The menu entry a path belongs to: the longest entry that is the path or a folder above it
/// (`/programs/units/7` belongs to `/programs`), so exactly one entry is marked current.
pub fn current(role: Role, path: &str) -> Option<&'static str> {
    let path = path.split('?').next().unwrap_or(path);
    links(role)
        .iter()
        .map(|l| l.href)
        .filter(|href| path == *href || path.strip_prefix(href).is_some_and(|rest| rest.starts_with('/')))
        .max_by_key(|href| href.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_starts_on_a_page_it_may_open() {
        for role in Role::ALL {
            let start = start_page(role);
            let listed = links(role).iter().any(|l| l.href == start) || start == CITIZEN_HOME;
            assert!(listed, "{role:?} starts on {start}, which is not in its menu");
        }
    }

    #[test]
    fn menus_have_no_duplicate_and_no_officer_page_for_citizens_or_staff() {
        for role in Role::ALL {
            let hrefs: Vec<&str> = links(role).iter().map(|l| l.href).collect();
            let mut unique = hrefs.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), hrefs.len(), "{role:?} has a link twice");
        }
        for role in [Role::Citizen, Role::OrgStaff] {
            for officer_page in ["/persons", "/analytics", "/programs", "/officer/applications", "/lodging/police"] {
                assert!(links(role).iter().all(|l| l.href != officer_page), "{role:?} is offered {officer_page}");
            }
        }
        assert!(links(Role::Citizen).iter().all(|l| !l.about_vi.is_empty() && !l.about_en.is_empty()));
    }

    #[test]
    fn the_longest_matching_entry_is_current() {
        assert_eq!(current(Role::Citizen, "/me/identity-qr"), Some("/me/identity-qr"));
        assert_eq!(current(Role::Citizen, "/applications/abc?lang=en"), Some("/applications"));
        assert_eq!(current(Role::OrgStaff, "/verify/history"), Some("/verify/history"));
        assert_eq!(current(Role::OrgStaff, "/verifyx"), None);
        assert_eq!(current(Role::Leader, "/persons"), None);
    }
}
