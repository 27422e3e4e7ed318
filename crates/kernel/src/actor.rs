//! Who acts: the [`Actor`] behind a request, a command or a background job, with the role and
//! jurisdiction that bound what it may see. Domain code takes `&Actor`; the HTTP layer's
//! `kernel::Actor` adds only what belongs to the transport (the session's CSRF token).

use serde::Serialize;

use crate::error::{AppError, ErrorCode};

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages units, accounts, clients and settings; sees the whole province.
    Admin,
    /// Provincial department or police staff; sees the whole province.
    ProvincialOfficer,
    /// Commune police; sees only residents of their commune.
    CommunePolice,
    /// One-stop desk officer (cán bộ một cửa) of a commune or province: receives and processes
    /// public-service applications of their jurisdiction.
    DeskOfficer,
    /// Provincial or commune leadership: reads dashboards and aggregated figures, never individuals.
    Leader,
    /// The provincial Project 06 working group: approves registrations and reports of every unit.
    WorkingGroup,
    /// Focal point of one unit (department, agency, commune) for Project 06 registrations and reports.
    UnitFocal,
    /// A resident with an e-ID account; sees only their own data.
    Citizen,
    /// Staff of an organization (hotel, pawn shop, hospital…); acts for that organization only.
    OrgStaff,
    /// Provincial traffic police (Cảnh sát giao thông): records the penalty decisions that
    /// citizens pay online; reads no resident records.
    TrafficPolice,
}

impl Role {
    /// Every role, for pickers and round-trip tests.
    pub const ALL: [Role; 10] = [
        Role::Admin,
        Role::ProvincialOfficer,
        Role::CommunePolice,
        Role::DeskOfficer,
        Role::Leader,
        Role::WorkingGroup,
        Role::UnitFocal,
        Role::Citizen,
        Role::OrgStaff,
        Role::TrafficPolice,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ProvincialOfficer => "provincial_officer",
            Role::CommunePolice => "commune_police",
            Role::DeskOfficer => "desk_officer",
            Role::Leader => "leader",
            Role::WorkingGroup => "working_group",
            Role::UnitFocal => "unit_focal",
            Role::Citizen => "citizen",
            Role::OrgStaff => "org_staff",
            Role::TrafficPolice => "traffic_police",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "provincial_officer" => Some(Role::ProvincialOfficer),
            "commune_police" => Some(Role::CommunePolice),
            "desk_officer" => Some(Role::DeskOfficer),
            "leader" => Some(Role::Leader),
            "working_group" => Some(Role::WorkingGroup),
            "unit_focal" => Some(Role::UnitFocal),
            "citizen" => Some(Role::Citizen),
            "org_staff" => Some(Role::OrgStaff),
            "traffic_police" => Some(Role::TrafficPolice),
            _ => None,
        }
    }

    /// Vietnamese and English labels.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Role::Admin => ("Quản trị hệ thống", "Administrator"),
            Role::ProvincialOfficer => ("Cán bộ cấp tỉnh", "Provincial officer"),
            Role::CommunePolice => ("Công an cấp xã", "Commune police"),
            Role::DeskOfficer => ("Cán bộ một cửa", "One-stop desk officer"),
            Role::Leader => ("Lãnh đạo", "Leader"),
            Role::WorkingGroup => ("Tổ công tác Đề án 06", "Project 06 working group"),
            Role::UnitFocal => ("Đầu mối đơn vị", "Unit focal point"),
            Role::Citizen => ("Công dân", "Citizen"),
            Role::OrgStaff => ("Nhân viên tổ chức", "Organization staff"),
            Role::TrafficPolice => ("Cảnh sát giao thông", "Traffic police"),
        }
    }
}

/// The area whose residents an account may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum Jurisdiction {
    /// A 2025 province code.
    Province(String),
    /// A 2025 commune code.
    Commune(String),
    /// No area at all: citizens and organization staff see only their own records. The code is the
    /// owner (person id or organization id) so queries can still be pinned to it.
    Own(String),
}

impl Jurisdiction {
    pub fn kind(&self) -> &'static str {
        match self {
            Jurisdiction::Province(_) => "province",
            Jurisdiction::Commune(_) => "commune",
            Jurisdiction::Own(_) => "own",
        }
    }

    pub fn code(&self) -> &str {
        match self {
            Jurisdiction::Province(c) | Jurisdiction::Commune(c) | Jurisdiction::Own(c) => c,
        }
    }

    pub fn parse(kind: &str, code: &str) -> Option<Jurisdiction> {
        match kind {
            "province" => Some(Jurisdiction::Province(code.to_string())),
            "commune" => Some(Jurisdiction::Commune(code.to_string())),
            "own" => Some(Jurisdiction::Own(code.to_string())),
            _ => None,
        }
    }
}

/// The authenticated caller, as domain code sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    pub account_id: String,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub jurisdiction: Jurisdiction,
    /// The organization a staff account acts for.
    pub organization_id: Option<String>,
    /// e-ID level (Decree 69/2024): 0 for officers and organization staff, 1 or 2 for citizens.
    pub eid_level: u8,
    /// How the session was authenticated (RFC 8176: `pwd`, `otp`, `hwk`); empty for tokens.
    pub amr: Vec<String>,
    /// OAuth scopes the credential was limited to (an access token issued to a client); `None` for
    /// sessions and personal tokens, which carry the account's full rights.
    pub scopes: Option<Vec<String>>,
}

impl Actor {
    /// The personal id of a citizen acting for themselves; `None` for every other role.
    pub fn citizen_person(&self) -> Option<&str> {
        match (self.role, &self.jurisdiction) {
            (Role::Citizen, Jurisdiction::Own(p)) => Some(p),
            _ => None,
        }
    }

    /// Label written to access logs and shown to citizens: who acted, in which capacity.
    pub fn actor_label(&self) -> String {
        format!("{} ({})", self.display_name, self.role.label().0)
    }

    /// Requires an OAuth scope when the credential is scope-limited; sessions and personal tokens pass.
    #[track_caller]
    pub fn require_scope(&self, scope: &str) -> Result<(), AppError> {
        match &self.scopes {
            Some(granted) if !granted.iter().any(|s| s == scope) => {
                Err(AppError::new(ErrorCode::Forbidden, format!("token lacks scope {scope}")))
            }
            _ => Ok(()),
        }
    }

    /// Requires one of the given roles.
    #[track_caller]
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::new(ErrorCode::Forbidden, format!("role {} not allowed", self.role.code())))
        }
    }

    /// An actor for tests and tools: the given role and jurisdiction, no organization, no scopes.
    pub fn new(account_id: &str, login: &str, role: Role, jurisdiction: Jurisdiction) -> Actor {
        Actor {
            account_id: account_id.to_string(),
            login: login.to_string(),
            display_name: login.to_string(),
            role,
            jurisdiction,
            organization_id: None,
            eid_level: 0,
            amr: Vec::new(),
            scopes: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_guard() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        let mut u = Actor::new("a", "l", Role::CommunePolice, Jurisdiction::Commune("00691".into()));
        u.scopes = Some(vec!["verify".into()]);
        assert!(u.require_scope("verify").is_ok());
        assert_eq!(u.require_scope("lodging").unwrap_err().code, ErrorCode::Forbidden);
        assert!(u.require(&[Role::CommunePolice]).is_ok());
        assert_eq!(u.require(&[Role::Admin]).unwrap_err().code, ErrorCode::Forbidden);
    }
}
