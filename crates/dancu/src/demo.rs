//! `dancu demo`: a synthetic province on SQLite with one account per role, ready in one command.

use std::path::Path;
use std::time::Instant;

use kernel::Role;
use serde::{Deserialize, Serialize};

use crate::cli::ProvinceArgs;
use crate::config::Settings;

/// One demo account as written to `demo-accounts.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoAccount {
    pub role: String,
    pub jurisdiction_kind: String,
    pub jurisdiction_code: String,
    pub jurisdiction_name: String,
    pub login: String,
    pub password: String,
    /// Personal API token for `Authorization: Bearer …`.
    pub api_token: String,
    pub api_token_id: String,
    /// Citizens: their personal id (also their login).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
    /// Citizens: e-ID level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
    /// Organization staff: the organization's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    /// Organization staff: OAuth client credentials of the organization's own system
    /// (`grant_type=client_credentials` at `/oidc/token`, API scopes `verify lodging`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// Data directory of the demo unless configured.
pub const DATA_DIR: &str = "./dancu-demo";

/// Prepares (or reuses) the demo data and accounts; serves unless `no_serve`, over `transport`.
pub async fn run(
    mut s: Settings,
    province: ProvinceArgs,
    no_serve: bool,
    transport: crate::server::Transport,
) -> anyhow::Result<()> {
    let start = Instant::now();
    std::fs::create_dir_all(&s.data_dir)?;
    // Bound first when serving: the links the demo writes (the hotel owner's invitation) name the
    // address the server is reached at. With --no-serve nothing listens, so preparations can run
    // side by side (the tests do), and the links name the configured address.
    let bound = if no_serve { None } else { Some(crate::server::bind(&s, transport).await?) };
    let public_url = match &bound {
        Some(b) => b.public_url.clone(),
        None => s.public_url.clone().unwrap_or_else(|| format!("http://{}", s.listen)),
    };
    let db = crate::open_db(&s.database_url).await?;
    let existing = registry::meta::get(&db, "generated.province").await?;
    match existing {
        Some(p) => {
            let n = registry::meta::person_count(&db).await?;
            println!("Dùng lại dữ liệu có sẵn / reusing data: province {p}, {n} residents");
        }
        None => {
            println!(
                "Tạo tỉnh mẫu / generating province {} with {} residents (seed {})…",
                province.province, province.people, province.seed
            );
            let truth = s.data_dir.join("ground-truth.jsonl");
            let stats = crate::generate_cmd::generate(&db, &province, false, Some(&truth)).await?;
            println!("{stats}");
        }
    }
    let province_code = registry::meta::get(&db, "generated.province").await?.unwrap_or(province.province.clone());
    programs::init(&db, &province_code, kernel::clock::now_ms()).await?;
    let accounts = ensure_accounts(&db, &s.data_dir, &province_code, &public_url).await?;
    print!("Kiểm tra chất lượng dữ liệu / running data-quality rules… ");
    let run = registry::quality::run(&db, kernel::clock::now_ms()).await?;
    println!("{} findings over {} persons", run.findings, run.persons_checked);
    crate::demo_services::seed(&db, &province_code).await?;
    crate::demo_programs::seed(&db, &province_code).await?;
    let figures = crate::analytics_cmd::rebuild(&db).await?;
    println!("Số liệu điều hành / dashboard figures: {} rows in {:.1} s", figures.rows, figures.seconds);
    let lodged = crate::lodging_figures::catch_up(&db).await?;
    crate::lodging_figures::recount(&db).await?;
    println!("Số liệu lưu trú / lodging events counted: {lodged}");
    let verifying = crate::demo_verification::prepare(&db, &s.data_dir, &accounts).await?;
    let exchange_members = crate::demo_exchange::prepare(&db, &s.data_dir, &province_code).await?;
    // A configured trust store wins over the demo's.
    s.verification.csca_dir.get_or_insert(verifying.trust_dir.clone());
    // Fees are paid on the built-in simulated bank, unless a provider is configured.
    if s.services.payment_provider == services::payments::ProviderKind::None {
        s.services.payment_provider = services::payments::ProviderKind::Simulator;
    }
    let Some(bound) = bound else {
        println!("Sẵn sàng sau / ready after {:.1} s", start.elapsed().as_secs_f64());
        return Ok(());
    };
    let certificate = bound.tls.as_ref().map(|t| (t.names.join(", "), t.fingerprint.clone()));
    let running = crate::server::serve_bound(db.clone(), &s, bound).await?;
    analytics::spawn_consumer(db.clone(), std::time::Duration::from_secs(2), kernel::clock::now_ms);
    crate::lodging_figures::spawn(db.clone(), std::time::Duration::from_secs(2), std::time::Duration::from_secs(60));
    let public = running.public_url.clone();
    let provider =
        oidc::Provider::start(db, running.ctx.access_log.clone(), &public, &s.oidc, kernel::clock::now_ms).await?;
    oidc::sample_rp::ensure_registered(&provider, kernel::clock::now_ms()).await?;
    println!("\ndancu demo: {public}/  (ready after {:.1} s)", start.elapsed().as_secs_f64());
    if let Some((names, fingerprint)) = certificate {
        println!("Chứng chỉ tự ký / self-signed certificate for {names}");
        println!("  SHA-256: {fingerprint}");
        println!(
            "  Trình duyệt sẽ cảnh báo: so khớp vân tay này rồi chấp nhận / the browser warns: compare this fingerprint, then accept"
        );
    }
    println!("Cổng trường học mẫu đăng nhập bằng định danh điện tử / sample SSO relying party: {public}/demo/school\n");
    // Passwords, tokens and the citizens' personal ids stay in the file (readable by its owner
    // only): a terminal is scrolled back, shared on screen and captured in logs.
    let file = s.data_dir.join("demo-accounts.json");
    println!("{:<22} phạm vi / jurisdiction", "vai trò / role");
    for a in &accounts {
        println!("{:<22} {}", a.role, a.jurisdiction_name);
    }
    println!(
        "\nTên đăng nhập, mật khẩu và mã API / logins, passwords and API tokens: {} (chỉ chủ sở hữu đọc được / owner-only)\n  python3 -m json.tool {}",
        file.display(),
        file.display()
    );
    verifying.print(&public);
    crate::demo_exchange::print(&exchange_members, &public);
    println!("\nCtrl-C để dừng / to stop.");
    running.wait().await
}

/// Creates the demo accounts once and records them; later runs read the file back. Links written
/// on the way (the hotel owner's invitation) name `public_url`.
async fn ensure_accounts(
    db: &db::Db,
    dir: &Path,
    province: &str,
    public_url: &str,
) -> anyhow::Result<Vec<DemoAccount>> {
    let path = dir.join("demo-accounts.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let mut accounts: Vec<DemoAccount> = serde_json::from_str(&text)?;
        if let Some(first) = accounts.first() {
            if identity::find_by_login(db, &first.login).await?.is_some() {
                // Files written before every account had a token get them now.
                if accounts.iter().any(|a| a.api_token.is_empty()) {
                    issue_missing_tokens(db, &mut accounts).await?;
                    write_private(&path, &serde_json::to_string_pretty(&accounts)?)?;
                }
                return Ok(accounts);
            }
        }
    }
    let units = registry::admin_units::AdminUnits::get();
    let commune = busiest_commune(db, province).await?;
    let commune_code = commune.clone();
    let specs = [
        (Role::Admin, "admin", "Quản trị viên Demo", province.to_string()),
        (Role::ProvincialOfficer, "tinh.canbo", "Cán bộ Tỉnh Demo", province.to_string()),
        (Role::CommunePolice, "xa.congan", "Công an Xã Demo", commune.clone()),
        (Role::DeskOfficer, crate::demo_services::DESK_LOGIN, "Cán bộ Một cửa Xã Demo", commune),
        (Role::Leader, "lanhdao", "Lãnh đạo Tỉnh Demo", province.to_string()),
        (Role::WorkingGroup, "todecan06", "Tổ công tác Đề án 06 Demo", province.to_string()),
        (Role::UnitFocal, crate::demo_programs::FOCAL_LOGIN, "Đầu mối Đơn vị Demo", commune_code.clone()),
        (Role::TrafficPolice, crate::demo_services::TRAFFIC_LOGIN, "Cảnh sát giao thông Demo", province.to_string()),
    ];
    let hasher = identity::PasswordHasher::default();
    let mut out = Vec::new();
    let mut admin_id = String::new();
    for (role, login, name, code) in specs {
        let password = crate::accounts_cmd::random_password();
        let jurisdiction = crate::accounts_cmd::jurisdiction_for(role, &code)?;
        let account = identity::create_account(
            db,
            &hasher,
            identity::NewAccount {
                login: login.into(),
                display_name: name.into(),
                role,
                jurisdiction: jurisdiction.clone(),
                password: password.clone(),
            },
            kernel::clock::now_ms(),
        )
        .await?;
        if role == Role::Admin {
            admin_id = account.id.clone();
        }
        if role == Role::UnitFocal {
            programs::units::add_member(
                db,
                &crate::demo_programs::unit_of(&code),
                &account.id,
                kernel::clock::now_ms(),
            )
            .await?;
        }
        let (token_id, token) = identity::issue_token(db, &account.id, "demo", kernel::clock::now_ms()).await?;
        let jurisdiction_name = match role {
            Role::CommunePolice | Role::UnitFocal | Role::DeskOfficer => units.commune(&code).map(|c| c.name.clone()),
            _ => units.province(&code).map(|p| p.name.clone()),
        }
        .unwrap_or_default();
        out.push(DemoAccount {
            role: role.code().into(),
            jurisdiction_kind: jurisdiction.kind().into(),
            jurisdiction_code: code,
            jurisdiction_name,
            login: login.into(),
            password,
            api_token: token,
            api_token_id: token_id,
            person_id: None,
            level: None,
            organization_id: None,
            client_id: None,
            client_secret: None,
        });
    }
    out.extend(citizens_and_hotel(db, &hasher, &commune_code, &admin_id, public_url).await?);
    crate::demo_services::fines(db, province, &out).await?;
    out.extend(crate::demo_lodging::seed(db, &hasher, &commune_code, &out).await?);
    issue_missing_tokens(db, &mut out).await?;
    write_private(&path, &serde_json::to_string_pretty(&out)?)?;
    Ok(out)
}

/// Two citizens of the demo commune (level 2 and level 1, login = personal id) and a hotel there
/// whose owner accepted the invitation, as a real organization would.
async fn citizens_and_hotel(
    db: &db::Db,
    hasher: &identity::PasswordHasher,
    commune: &str,
    admin_id: &str,
    public_url: &str,
) -> anyhow::Result<Vec<DemoAccount>> {
    let units = registry::admin_units::AdminUnits::get();
    let commune_name = units.commune(commune).map(|c| c.name.clone()).unwrap_or_default();
    let adults = registry::sample::Criteria {
        living: true,
        commune: Some(commune),
        born_before: chrono::NaiveDate::from_ymd_opt(2000, 1, 1),
        valid_card: true,
        limit: Some(2),
        ..Default::default()
    };
    let ids: Vec<String> = crate::accounts_cmd::residents_without_account(db, adults, 2)
        .await?
        .into_iter()
        .map(|r| r.personal_id)
        .collect();
    let mut out = Vec::new();
    for (id, level) in ids.iter().zip([2u8, 1]) {
        let password = crate::accounts_cmd::random_password();
        let account = crate::accounts_cmd::citizen_account(db, hasher, id, &password, level).await?;
        out.push(DemoAccount {
            role: Role::Citizen.code().into(),
            jurisdiction_kind: "own".into(),
            jurisdiction_code: id.clone(),
            jurisdiction_name: commune_name.clone(),
            login: account.login,
            password,
            api_token: String::new(),
            api_token_id: String::new(),
            person_id: Some(id.clone()),
            level: Some(level),
            organization_id: None,
            client_id: None,
            client_secret: None,
        });
    }
    let hotel = identity::organizations::create_organization(
        db,
        identity::organizations::NewOrganization {
            tax_code: "5000123456".into(),
            name: "Khách sạn Demo Sông Lô".into(),
            kind: identity::organizations::OrgKind::Hotel,
            address: "1 đường Demo".into(),
            commune_code: commune.to_string(),
        },
        kernel::clock::now_ms(),
    )
    .await?;
    verification::caller::grant_purposes(db, &hotel.id, &["hotel_guest", "age_check", "notary_party"]).await?;
    let outbox = identity::sms::OutboxSender::new(db.clone(), kernel::clock::now_ms);
    let link = identity::invitations::invite(
        db,
        &outbox,
        public_url,
        &hotel.id,
        "chu.khachsan@demo.example",
        "owner",
        admin_id,
        kernel::clock::now_ms(),
    )
    .await?;
    let (system, system_secret) = oidc::clients::register(
        db,
        oidc::NewClient {
            name: "Phần mềm quản lý Khách sạn Demo Sông Lô".into(),
            auth_method: "client_secret_basic".into(),
            allowed_scopes: vec!["verify".into(), "lodging".into()],
            grant_types: vec!["client_credentials".into()],
            min_level: 1,
            organization_id: Some(hotel.id.clone()),
            ..Default::default()
        },
        kernel::clock::now_ms(),
    )
    .await?;
    let token = link.rsplit('/').next().unwrap_or_default();
    let password = crate::accounts_cmd::random_password();
    let owner = identity::invitations::accept(
        db,
        token,
        "chu.khachsan",
        "Chủ Khách sạn Demo",
        &hasher.hash(&password).await?,
        kernel::clock::now_ms(),
    )
    .await?;
    out.push(DemoAccount {
        role: Role::OrgStaff.code().into(),
        jurisdiction_kind: "own".into(),
        jurisdiction_code: hotel.id.clone(),
        jurisdiction_name: hotel.name,
        login: owner.login,
        password,
        api_token: String::new(),
        api_token_id: String::new(),
        person_id: None,
        level: None,
        organization_id: Some(hotel.id),
        client_id: Some(system.id),
        client_secret: system_secret,
    });
    Ok(out)
}

/// Gives every account without one a personal API token (citizens, organization staff), as
/// README promises: `demo-accounts.json` holds a working token for each login.
async fn issue_missing_tokens(db: &db::Db, accounts: &mut [DemoAccount]) -> anyhow::Result<()> {
    for a in accounts.iter_mut().filter(|a| a.api_token.is_empty()) {
        let (account, _, _) = identity::find_by_login(db, &a.login)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo account {} was not created", a.login))?;
        let (id, token) = identity::issue_token(db, &account.id, "demo", kernel::clock::now_ms()).await?;
        a.api_token = token;
        a.api_token_id = id;
    }
    Ok(())
}

/// The commune with the most residents (the commune police demo account works there).
async fn busiest_commune(db: &db::Db, province: &str) -> anyhow::Result<String> {
    match registry::sample::busiest_commune(db, Some(province)).await? {
        Some(code) => Ok(code),
        None => registry::admin_units::AdminUnits::get()
            .communes_of(province)
            .first()
            .map(|c| c.code.clone())
            .ok_or_else(|| anyhow::anyhow!("province {province} has no communes")),
    }
}

/// Writes a file readable only by its owner (it holds passwords and tokens).
pub(crate) fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts.open(path)?;
    // `mode` applies only when the file is created: a file left by an older run is narrowed too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())?;
    Ok(())
}
