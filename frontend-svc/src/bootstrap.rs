//! The first administrator: created only when no account exists. With a configured password the
//! operator chose it; without one a random password is written once to
//! `state_dir/initial-admin-password` (0600) and the account must change it before anything else.

use crate::config::FrontendConfig;
use crate::passwords;
use crate::roles::ADMINISTRATOR;
use crate::store::{NewAccount, Store};
use std::io::Write;
const GENERATED_PASSWORD_FILE: &str = "initial-admin-password";

pub async fn ensure_admin(config: &FrontendConfig, store: &Store) -> Result<(), String> {
    if store.account_count().await.map_err(|e| e.to_string())? > 0 {
        return Ok(());
    }
    let admin = &config.bootstrap_admin;
    let (password, generated) = match &admin.password {
        Some(p) if !p.is_empty() => (p.clone(), false),
        _ => (passwords::generate(20), true),
    };
    let hash = passwords::hash_async(password.clone()).await?;
    if generated {
        write_secret_file(&config.state_dir.join(GENERATED_PASSWORD_FILE), &password)?;
        tracing::warn!(
            user = %admin.username,
            file = %config.state_dir.join(GENERATED_PASSWORD_FILE).display(),
            "created the bootstrap administrator with a generated password; it must be changed at first use"
        );
    } else {
        tracing::info!(user = %admin.username, "created the bootstrap administrator from configuration");
    }
    store
        .insert_account(NewAccount {
            username: admin.username.clone(),
            password_hash: hash,
            role_id: ADMINISTRATOR.to_owned(),
            enabled: true,
            password_change_required: generated,
        })
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn write_secret_file(path: &std::path::Path, secret: &str) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    // Truncate: a file left from an earlier state directory must not keep a stale password.
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("restricting {}: {e}", path.display()))?;
    }
    writeln!(f, "{secret}").map_err(|e| format!("writing {}: {e}", path.display()))
}
