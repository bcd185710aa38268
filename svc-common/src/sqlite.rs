//! The one way both services open their SQLite state: the file under the state directory, WAL
//! with synchronous=FULL (a write acknowledged to a client survives a power cut), a busy timeout,
//! and the service's ordered migrations, each applied in its own transaction with
//! `PRAGMA user_version` counting those done.

use rusqlite::Connection;
use std::path::Path;

/// Opens (creating) `dir/file`, sets `pragmas` after the shared ones, and migrates. A database
/// from a newer build (more migrations than `migrations`) is refused rather than misread.
pub fn open(
    dir: &Path,
    file: &str,
    pragmas: &[(&str, &str)],
    migrations: &[&str],
) -> Result<Connection, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let path = dir.join(file);
    let conn = Connection::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    for (name, value) in [("journal_mode", "WAL"), ("synchronous", "FULL")]
        .iter()
        .chain(pragmas)
    {
        conn.pragma_update(None, name, value)
            .map_err(|e| format!("{}: PRAGMA {name}: {e}", path.display()))?;
    }
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| e.to_string())?;
    migrate(&conn, migrations)?;
    Ok(conn)
}

fn migrate(conn: &Connection, migrations: &[&str]) -> Result<(), String> {
    let done: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| e.to_string())?;
    let done = usize::try_from(done).unwrap_or(0);
    if done > migrations.len() {
        return Err(format!(
            "database schema version {done} is newer than this build understands ({})",
            migrations.len()
        ));
    }
    for (i, sql) in migrations.iter().enumerate().skip(done) {
        conn.execute_batch(&format!(
            "BEGIN; {sql}; PRAGMA user_version = {}; COMMIT;",
            i + 1
        ))
        .map_err(|e| format!("migration {}: {e}", i + 1))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIGRATIONS: &[&str] = &[
        "CREATE TABLE a (x INTEGER)",
        "ALTER TABLE a ADD COLUMN y TEXT",
    ];

    #[test]
    fn migrations_run_once_in_order_and_a_newer_database_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let conn = open(
            dir.path(),
            "t.sqlite3",
            &[("foreign_keys", "ON")],
            MIGRATIONS,
        )
        .expect("opened");
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version");
        assert_eq!(version, 2);
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .expect("mode");
        assert_eq!(mode, "wal");
        conn.execute("INSERT INTO a (x, y) VALUES (1, 'z')", [])
            .expect("both columns");
        drop(conn);
        // Reopening runs nothing again (a second ALTER would fail).
        open(dir.path(), "t.sqlite3", &[], MIGRATIONS).expect("reopened");
        let err = open(dir.path(), "t.sqlite3", &[], &MIGRATIONS[..1]).expect_err("newer");
        assert!(err.contains("newer than this build"), "{err}");
    }

    #[test]
    fn a_failing_migration_leaves_the_version_where_it_was() {
        let dir = tempfile::tempdir().expect("dir");
        let err = open(dir.path(), "t.sqlite3", &[], &[MIGRATIONS[0], "NOT SQL"])
            .expect_err("bad migration");
        assert!(err.starts_with("migration 2"), "{err}");
        let conn = Connection::open(dir.path().join("t.sqlite3")).expect("open");
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version");
        assert_eq!(version, 1);
    }
}
