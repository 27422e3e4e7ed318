//! Shared set-up of the integration tests: a generated province, officer accounts with tokens, and
//! the real server listening on a free port.

use db::sqlx::{self, Row};
use db::Db;
use registry::generate::{DefectRates, GenerateOptions};
use web::{Jurisdiction, Role};

/// Every module's migrations, as the binary applies them.
pub(crate) fn migrations() -> db::MigrationSet {
    dancu::migrations()
}

/// A running server over a generated province.
pub(crate) struct World {
    pub db: Db,
    pub base: String,
    pub http: reqwest::Client,
    pub running: dancu::server::Running,
    /// Bearer token of a provincial officer (whole province 08).
    pub province_token: String,
    /// Bearer token of a commune police officer.
    pub commune_token: String,
    pub commune: String,
    /// Password of both officers (logins `tinh.test`, `xa.test`).
    pub password: String,
}

pub(crate) const PASSWORD: &str = "mat-khau-thu-nghiem";

/// Generates `people` residents (province 08, seed 6), creates the officers and starts the server
/// with default settings.
pub(crate) async fn world(db: Db, people: usize, defects: bool) -> World {
    world_with(db, people, defects, dancu::server::local_settings()).await
}

/// [`world`] with a server built from `settings`.
pub(crate) async fn world_with(db: Db, people: usize, defects: bool, settings: dancu::config::Settings) -> World {
    registry::admin_units::ensure_loaded(&db).await.unwrap();
    let mut opts = GenerateOptions::new("08", people, 6, kernel::clock::today_vn());
    if !defects {
        opts.defects = DefectRates::none();
    }
    dancu::generate_cmd::generate_into(&db, opts, None, false).await.unwrap();
    let commune: String = sqlx::query(
        "SELECT current_commune, COUNT(*) AS n FROM persons WHERE current_commune IS NOT NULL \
         GROUP BY current_commune ORDER BY n DESC, current_commune LIMIT 1",
    )
    .fetch_one(db.read())
    .await
    .unwrap()
    .get(0);
    let hasher = identity::PasswordHasher::new(2);
    let mut tokens = Vec::new();
    for (login, role, j) in [
        ("tinh.test", Role::ProvincialOfficer, Jurisdiction::Province("08".into())),
        ("xa.test", Role::CommunePolice, Jurisdiction::Commune(commune.clone())),
    ] {
        let a = identity::create_account(
            &db,
            &hasher,
            identity::NewAccount {
                login: login.into(),
                display_name: format!("Cán bộ {login}"),
                role,
                jurisdiction: j,
                password: PASSWORD.into(),
            },
            kernel::clock::now_ms(),
        )
        .await
        .unwrap();
        tokens.push(identity::issue_token(&db, &a.id, "test", kernel::clock::now_ms()).await.unwrap());
    }
    let running = dancu::server::start(db.clone(), &settings).await.unwrap();
    World {
        base: format!("http://{}", running.addr),
        http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
        running,
        province_token: tokens[0].1.clone(),
        commune_token: tokens[1].1.clone(),
        commune,
        password: PASSWORD.into(),
        db,
    }
}

impl World {
    /// The bearer token of a new account `login` with `role` over `jurisdiction` (password
    /// [`PASSWORD`]).
    pub(crate) async fn staff_token(&self, login: &str, role: Role, jurisdiction: Jurisdiction) -> String {
        let a = identity::create_account(
            &self.db,
            &identity::PasswordHasher::new(2),
            identity::NewAccount {
                login: login.into(),
                display_name: format!("Cán bộ {login}"),
                role,
                jurisdiction,
                password: PASSWORD.into(),
            },
            kernel::clock::now_ms(),
        )
        .await
        .unwrap();
        identity::issue_token(&self.db, &a.id, "test", kernel::clock::now_ms()).await.unwrap().1
    }

    /// GET with a bearer token; returns status and JSON body.
    pub(crate) async fn get(&self, token: &str, path: &str) -> (u16, serde_json::Value) {
        let r = self.http.get(format!("{}{path}", self.base)).bearer_auth(token).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// A request with a JSON body and a bearer token. Lodging guests given by a bare personal id
    /// are sent as staff type them (see [`World::typed`]).
    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let body = if path.starts_with("/api/v1/lodging/") { self.typed(body).await } else { body };
        let r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// Staff type a citizen guest's id with the name and birth date on the guest's card: every
    /// object of `body` that holds only a `personal_id` of the registry gets them (an unknown id
    /// stays bare).
    pub(crate) async fn typed(&self, mut body: serde_json::Value) -> serde_json::Value {
        let mut stack = vec![&mut body];
        while let Some(v) = stack.pop() {
            match v {
                serde_json::Value::Object(o) if o.len() == 1 && o.contains_key("personal_id") => {
                    let id = o["personal_id"].as_str().unwrap_or_default().to_string();
                    let row = sqlx::query("SELECT full_name, birth_date FROM persons WHERE personal_id = $1")
                        .bind(&id)
                        .fetch_optional(self.db.read())
                        .await
                        .unwrap();
                    if let Some(r) = row {
                        o.insert("full_name".into(), r.get::<String, _>(0).into());
                        o.insert("birth_date".into(), r.get::<Option<String>, _>(1).into());
                    }
                }
                serde_json::Value::Object(o) => stack.extend(o.values_mut()),
                serde_json::Value::Array(a) => stack.extend(a.iter_mut()),
                _ => {}
            }
        }
        body
    }

    /// A commune of the province other than the commune officer's (outside their jurisdiction).
    pub(crate) async fn other_commune(&self) -> String {
        sqlx::query("SELECT current_commune FROM persons WHERE current_commune <> $1 LIMIT 1")
            .bind(&self.commune)
            .fetch_one(self.db.read())
            .await
            .unwrap()
            .get(0)
    }

    /// A resident of the commune officer's commune, and one living elsewhere.
    pub(crate) async fn inside_and_outside(&self) -> (String, String) {
        let inside: String =
            sqlx::query("SELECT personal_id FROM persons WHERE current_commune = $1 ORDER BY personal_id LIMIT 1")
                .bind(&self.commune)
                .fetch_one(self.db.read())
                .await
                .unwrap()
                .get(0);
        let outside: String =
            sqlx::query("SELECT personal_id FROM persons WHERE current_commune <> $1 ORDER BY personal_id LIMIT 1")
                .bind(&self.commune)
                .fetch_one(self.db.read())
                .await
                .unwrap()
                .get(0);
        (inside, outside)
    }
}

/// The value a response sets for cookie `name`.
pub(crate) fn cookie_value(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v[name.len() + 1..].split(';').next().unwrap_or("").to_string())
}

/// The value of a hidden form field.
pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}
