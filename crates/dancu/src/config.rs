//! Settings from a TOML file, `DANCU_*` environment variables and flags (flags and environment win).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Effective settings of a server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Settings {
    /// `sqlite://…` or `postgres://…`; default: `sqlite://DATA_DIR/dancu.db`.
    pub database_url: String,
    /// Address to listen on.
    pub listen: String,
    /// Where the SQLite file, demo accounts and exports live.
    pub data_dir: PathBuf,
}

/// The optional configuration file (`dancu.toml`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
}

impl FileConfig {
    pub fn read(path: &Path) -> anyhow::Result<FileConfig> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("invalid {}: {e}", path.display()))
    }
}

/// Combines flags/environment (`cli_*`), the file and defaults.
pub fn resolve(
    file: FileConfig,
    cli_database_url: Option<String>,
    cli_listen: Option<String>,
    cli_data_dir: Option<PathBuf>,
    default_data_dir: &str,
) -> Settings {
    let data_dir = cli_data_dir.or(file.data_dir).unwrap_or_else(|| PathBuf::from(default_data_dir));
    let database_url = cli_database_url
        .or(file.database_url)
        .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("dancu.db").display()));
    let listen = cli_listen.or(file.listen).unwrap_or_else(|| "127.0.0.1:8080".to_string());
    Settings { database_url, listen, data_dir }
}

/// The settings with any password in the database URL masked, for printing.
pub fn redacted(s: &Settings) -> Settings {
    let mut s = s.clone();
    if let Some((scheme, rest)) = s.database_url.split_once("://") {
        if let Some((cred, host)) = rest.split_once('@') {
            if let Some((user, _)) = cred.split_once(':') {
                s.database_url = format!("{scheme}://{user}:***@{host}");
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_and_defaults() {
        let file =
            FileConfig { database_url: None, listen: Some("0.0.0.0:9000".into()), data_dir: Some("/srv/dancu".into()) };
        let s = resolve(file, None, Some("127.0.0.1:1".into()), None, "./x");
        assert_eq!(s.listen, "127.0.0.1:1");
        assert_eq!(s.database_url, "sqlite:///srv/dancu/dancu.db");
        let d = resolve(FileConfig::default(), None, None, None, "./dancu-demo");
        assert_eq!(d.database_url, "sqlite://./dancu-demo/dancu.db");
    }

    #[test]
    fn masks_passwords() {
        let s = resolve(FileConfig::default(), Some("postgres://app:secret@db/dancu".into()), None, None, ".");
        assert_eq!(redacted(&s).database_url, "postgres://app:***@db/dancu");
    }

    #[test]
    fn rejects_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("dancu.toml");
        std::fs::write(&p, "listne = \"x\"").unwrap();
        assert!(FileConfig::read(&p).is_err());
    }
}
