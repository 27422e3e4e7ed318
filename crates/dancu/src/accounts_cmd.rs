//! `dancu accounts`: create officer accounts and manage their API tokens from the shell.

use clap::Subcommand;
use kernel::{Jurisdiction, Role};

use crate::cli::Place;

#[derive(Subcommand)]
pub enum AccountsCommand {
    /// Create an account; the password is read from DANCU_NEW_PASSWORD or generated and printed.
    Create {
        #[command(flatten)]
        place: Place,
        #[arg(long)]
        login: String,
        #[arg(long)]
        name: String,
        /// The account's role (residents and organizations get their accounts by registering).
        #[arg(long, value_parser = created_roles())]
        role: String,
        /// Province code (admin, provincial_officer, leader, working_group; a provincial
        /// desk_officer or unit_focal) or commune code (commune_police; a commune's desk_officer
        /// or unit_focal).
        #[arg(long)]
        jurisdiction: String,
    },
    /// Issue a personal API token for an account (printed once).
    Token {
        #[command(flatten)]
        place: Place,
        #[arg(long)]
        login: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// Revoke an API token by its id.
    Revoke {
        #[command(flatten)]
        place: Place,
        token_id: String,
    },
}

/// The roles `accounts create` makes: every role but those whose accounts come from registration.
fn created_roles() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        Role::ALL.into_iter().filter(|r| !matches!(r, Role::Citizen | Role::OrgStaff)).map(Role::code),
    )
}

/// Builds a role's jurisdiction, checking the code exists.
pub fn jurisdiction_for(role: Role, code: &str) -> anyhow::Result<Jurisdiction> {
    let units = registry::admin_units::AdminUnits::get();
    match role {
        Role::CommunePolice => {
            units.commune(code).ok_or_else(|| anyhow::anyhow!("unknown commune code {code}"))?;
            Ok(Jurisdiction::Commune(code.to_string()))
        }
        Role::UnitFocal | Role::DeskOfficer if units.commune(code).is_some() => {
            Ok(Jurisdiction::Commune(code.to_string()))
        }
        Role::Admin
        | Role::ProvincialOfficer
        | Role::Leader
        | Role::WorkingGroup
        | Role::TrafficPolice
        | Role::UnitFocal
        | Role::DeskOfficer => {
            units.province(code).ok_or_else(|| anyhow::anyhow!("unknown province code {code}"))?;
            Ok(Jurisdiction::Province(code.to_string()))
        }
        Role::Citizen | Role::OrgStaff => {
            anyhow::bail!("citizen and organization accounts are created by registration, not by this command")
        }
    }
}

/// A random password of 16 letters and digits for generated accounts.
pub fn random_password() -> String {
    use rand::seq::SliceRandom;
    const CHARS: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..16).filter_map(|_| CHARS.choose(&mut rng)).map(|&b| char::from(b)).collect()
}

pub async fn run(cmd: AccountsCommand, default_dir: &str) -> anyhow::Result<()> {
    match cmd {
        AccountsCommand::Create { place, login, name, role, jurisdiction } => {
            let s = place.settings(default_dir)?;
            let db = crate::open_db(&s.database_url).await?;
            let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("unknown role {role}"))?;
            let jurisdiction = jurisdiction_for(role, &jurisdiction)?;
            let (password, generated) = match crate::config::process_env("DANCU_NEW_PASSWORD") {
                Some(p) => (p, false),
                None => (random_password(), true),
            };
            let hasher = identity::PasswordHasher::default();
            let a = identity::create_account(
                &db,
                &hasher,
                identity::NewAccount { login, display_name: name, role, jurisdiction, password: password.clone() },
                kernel::clock::now_ms(),
            )
            .await?;
            println!("created {} ({})", a.login, a.id);
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        AccountsCommand::Token { place, login, name } => {
            let s = place.settings(default_dir)?;
            let db = crate::open_db(&s.database_url).await?;
            let (a, _, _) =
                identity::find_by_login(&db, &login).await?.ok_or_else(|| anyhow::anyhow!("no account {login}"))?;
            let (id, token) = identity::issue_token(&db, &a.id, &name, kernel::clock::now_ms()).await?;
            println!("token id: {id}\ntoken: {token}");
            Ok(())
        }
        AccountsCommand::Revoke { place, token_id } => {
            let s = place.settings(default_dir)?;
            let db = crate::open_db(&s.database_url).await?;
            if identity::revoke_token(&db, &token_id, kernel::clock::now_ms()).await? {
                println!("revoked {token_id}");
                Ok(())
            } else {
                anyhow::bail!("no live token {token_id}")
            }
        }
    }
}

/// A citizen account for an existing resident, created as registration would (level 1, phone
/// confirmed) and raised to `level` by a named officer when 2: for demos, tests and benchmarks.
pub async fn citizen_account(
    db: &db::Db,
    hasher: &identity::PasswordHasher,
    person_id: &str,
    password: &str,
    level: u8,
) -> anyhow::Result<identity::Account> {
    let name = registry::queries::persons::get_self(db, &kernel::PersonalId::parse(person_id)?)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no person {person_id} in the registry"))?
        .full_name;
    let pending = identity::registration::PendingRegistration {
        person_id: person_id.to_string(),
        full_name: name,
        phone: format!("09{}", &person_id[person_id.len() - 8..]),
        password_hash: hasher.hash(password).await?,
    };
    let account = identity::registration::complete(db, &pending, kernel::clock::now_ms()).await?;
    if level < 2 {
        return Ok(account);
    }
    let actor = identity::levels::LevelActor { id: None, label: "Công an xã (dữ liệu mẫu)".into() };
    Ok(identity::levels::raise_to_level2(
        db,
        &account.id,
        identity::levels::LevelMethod::InPersonCard,
        "demo",
        &actor,
        kernel::clock::now_ms(),
    )
    .await?)
}

/// Up to `n` residents matching `criteria` who hold no account yet (demo citizens keep clean
/// histories; benchmark citizens get fresh accounts).
pub async fn residents_without_account(
    db: &db::Db,
    criteria: registry::sample::Criteria<'_>,
    n: usize,
) -> anyhow::Result<Vec<registry::sample::Resident>> {
    let holders = identity::account_holders(db).await?;
    // Enough candidates that the holders among them still leave `n`.
    let limit = criteria.limit.map(|l| l + holders.len() as i64);
    let picked = registry::sample::residents(db, &registry::sample::Criteria { limit, ..criteria }).await?;
    Ok(picked.into_iter().filter(|r| !holders.contains(&r.personal_id)).take(n).collect())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use kernel::Role;

    /// `accounts create --help` lists exactly the roles the command can create.
    #[test]
    fn the_help_lists_every_role_the_command_creates() {
        let mut cli = crate::cli::Cli::command();
        let create =
            cli.find_subcommand_mut("accounts").and_then(|a| a.find_subcommand_mut("create")).expect("accounts create");
        let help = create.render_long_help().to_string();
        let commune = registry::admin_units::AdminUnits::get().communes_of("08").first().map(|c| c.code.clone());
        let commune = commune.expect("a commune of province 08");
        for role in Role::ALL {
            let creatable =
                super::jurisdiction_for(role, "08").is_ok() || super::jurisdiction_for(role, &commune).is_ok();
            assert_eq!(help.contains(role.code()), creatable, "{}:\n{help}", role.code());
        }
    }
}
