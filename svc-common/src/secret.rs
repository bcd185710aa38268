//! Secrets read from files (container secrets under `/run/secrets/`), so passwords need not be
//! written into the config file or the environment.

use std::path::Path;

/// Largest secret file accepted; a password file is a line, not a document.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

/// Checks that `path` is a readable, non-empty file of reasonable size, without keeping its text.
pub fn check_secret_file(path: &Path) -> Result<(), String> {
    read_secret_file(path).map(drop)
}

/// The secret in `path`: its UTF-8 text with one trailing newline (`\n` or `\r\n`) removed, as
/// `echo secret > file` writes it. Empty, oversized, unreadable or non-UTF-8 files are errors.
pub fn read_secret_file(path: &Path) -> Result<String, String> {
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{} is not a file", path.display()));
    }
    if meta.len() > MAX_SECRET_BYTES {
        return Err(format!(
            "{} is larger than {MAX_SECRET_BYTES} bytes; expected a single secret",
            path.display()
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let secret = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(&text);
    if secret.is_empty() {
        return Err(format!("{} is empty", path.display()));
    }
    Ok(secret.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trailing_newline_is_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (text, want) in [
            ("calvin\n", "calvin"),
            ("calvin\r\n", "calvin"),
            ("calvin", "calvin"),
            ("  spaced  \n\n", "  spaced  \n"),
        ] {
            let p = dir.path().join("s");
            std::fs::write(&p, text).expect("write");
            assert_eq!(read_secret_file(&p).expect("read"), want);
        }
    }

    #[test]
    fn missing_empty_directory_and_huge_files_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("missing");
        assert!(check_secret_file(&missing).is_err());
        assert!(check_secret_file(dir.path()).is_err());
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").expect("write");
        assert!(
            read_secret_file(&empty)
                .expect_err("empty")
                .contains("empty")
        );
        let huge = dir.path().join("huge");
        std::fs::write(&huge, vec![b'x'; 70 * 1024]).expect("write");
        assert!(check_secret_file(&huge).is_err());
    }
}
