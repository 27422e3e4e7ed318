//! `dancu clients`: register and manage OpenID Connect / OAuth clients from the command line (the
//! same operations as the administrators' page `/admin/clients`).

use clap::{Args, Subcommand};

use crate::cli::Place;

#[derive(Subcommand)]
pub enum ClientsCommand {
    /// Register a client; prints its id and, for secret-based methods, the secret (once).
    Add(Box<AddArgs>),
    /// List registered clients.
    List {
        #[command(flatten)]
        place: Place,
    },
    /// Disable a client and revoke its tokens.
    Disable {
        #[command(flatten)]
        place: Place,
        client_id: String,
    },
    /// Issue a new secret to a secret-based client (the old one stops working).
    RotateSecret {
        #[command(flatten)]
        place: Place,
        client_id: String,
    },
}

/// What `dancu clients add` registers.
#[derive(Args)]
pub struct AddArgs {
    #[command(flatten)]
    place: Place,
    /// Display name shown to citizens on the consent screen.
    #[arg(long)]
    name: String,
    /// Redirect URI (repeat for several); exact matching.
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// Where RP-initiated logout may send the user back (repeat for several).
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// Allowed scopes, space-separated.
    #[arg(long, default_value = "openid profile")]
    scopes: String,
    /// Grant types, space-separated.
    #[arg(long, default_value = "authorization_code refresh_token")]
    grant_types: String,
    /// client_secret_basic, client_secret_post, private_key_jwt or none.
    #[arg(long, default_value = "client_secret_basic")]
    auth_method: String,
    /// Lowest e-ID level accepted (1 or 2).
    #[arg(long, default_value_t = 1)]
    min_level: u8,
    /// Pairwise subject sector (default: host of the first redirect URI).
    #[arg(long)]
    sector: Option<String>,
    /// Organization whose system this is (client credentials).
    #[arg(long)]
    organization: Option<String>,
    /// File with the client's public JWKS (private_key_jwt).
    #[arg(long)]
    jwks_file: Option<std::path::PathBuf>,
    /// Logo shown on the consent screen.
    #[arg(long)]
    logo_url: Option<String>,
}

pub async fn run(command: ClientsCommand, default_data_dir: &str) -> anyhow::Result<()> {
    match command {
        ClientsCommand::Add(args) => {
            let AddArgs {
                place,
                name,
                redirect_uris,
                post_logout_redirect_uris,
                scopes,
                grant_types,
                auth_method,
                min_level,
                sector,
                organization,
                jwks_file,
                logo_url,
            } = *args;
            let jwks = jwks_file.map(std::fs::read_to_string).transpose()?;
            let db = crate::open_db(&place.settings(default_data_dir)?.database_url).await?;
            let new = oidc::NewClient {
                name,
                auth_method,
                jwks,
                redirect_uris,
                post_logout_redirect_uris,
                allowed_scopes: oidc::scopes::split(&scopes),
                grant_types: oidc::scopes::split(&grant_types),
                min_level,
                sector,
                subject_type: None,
                organization_id: organization,
                logo_url,
            };
            let (client, secret) = oidc::clients::register(&db, new, kernel::clock::now_ms())
                .await
                .map_err(|e| anyhow::anyhow!(e.detail))?;
            println!("client_id: {}", client.id);
            if let Some(s) = secret {
                println!(
                    "client_secret: {s}\n(lưu lại ngay, không hiển thị lại / store it now, it is not shown again)"
                );
            }
            Ok(())
        }
        ClientsCommand::List { place } => {
            let db = crate::open_db(&place.settings(default_data_dir)?.database_url).await?;
            let list = oidc::clients::list(&db).await?;
            if list.is_empty() {
                println!("chưa có ứng dụng nào / no clients yet");
            }
            for c in list {
                println!(
                    "{}  {}  [{}] scopes: {}  min level {}{}",
                    c.id,
                    c.name,
                    c.auth_method,
                    c.allowed_scopes.join(" "),
                    c.min_level,
                    if c.disabled_at.is_some() { "  (disabled)" } else { "" }
                );
            }
            Ok(())
        }
        ClientsCommand::Disable { place, client_id } => {
            let db = crate::open_db(&place.settings(default_data_dir)?.database_url).await?;
            oidc::clients::disable(&db, &client_id, kernel::clock::now_ms())
                .await
                .map_err(|e| anyhow::anyhow!(e.detail))?;
            println!("disabled {client_id}; its tokens are revoked");
            Ok(())
        }
        ClientsCommand::RotateSecret { place, client_id } => {
            let db = crate::open_db(&place.settings(default_data_dir)?.database_url).await?;
            let s = oidc::clients::rotate_secret(&db, &client_id).await.map_err(|e| anyhow::anyhow!(e.detail))?;
            println!("client_secret: {s}");
            Ok(())
        }
    }
}
