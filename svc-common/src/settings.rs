//! One TOML file configures both services, each reading its own section; every key can be
//! overridden from the environment as `REDDRUM__<SECTION>__<KEY>`.

use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::path::Path;

/// A configuration problem, phrased for an operator: it names the key and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

impl ConfigError {
    pub fn at(key: &str, problem: impl std::fmt::Display) -> Self {
        ConfigError(format!("{key}: {problem}"))
    }
}

/// The environment variables to consider, passed in so tests never mutate the process environment.
#[derive(Debug, Clone, Default)]
pub struct Environment(pub HashMap<String, String>);

impl Environment {
    pub fn from_process() -> Self {
        Environment(std::env::vars().collect())
    }
}

/// Sections a combined file may hold; any other top-level key is a mistake worth stopping for.
const KNOWN_SECTIONS: &[&str] = &["frontend", "aggregator"];

/// Load `section` from the optional file plus the environment and deserialize it.
/// `T` should use `#[serde(deny_unknown_fields)]` so a misspelt key stops the program.
pub fn load_section<T: DeserializeOwned>(
    file: Option<&Path>,
    section: &str,
    env: &Environment,
) -> Result<T, ConfigError> {
    let mut builder = config::Config::builder();
    if let Some(path) = file {
        if !path.is_file() {
            return Err(ConfigError(format!(
                "config file {} does not exist or is not a file",
                path.display()
            )));
        }
        builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
    }
    builder = builder.add_source(
        config::Environment::with_prefix("REDDRUM")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .source(Some(env.0.clone())),
    );
    let merged = builder.build().map_err(|e| ConfigError(e.to_string()))?;
    let top: HashMap<String, config::Value> = merged
        .clone()
        .try_deserialize()
        .map_err(|e| ConfigError(e.to_string()))?;
    if let Some(unknown) = top.keys().find(|k| !KNOWN_SECTIONS.contains(&k.as_str())) {
        return Err(ConfigError::at(
            unknown,
            format!(
                "unknown section (expected one of: {})",
                KNOWN_SECTIONS.join(", ")
            ),
        ));
    }
    let section_value = merged
        .get::<config::Value>(section)
        .unwrap_or_else(|_| config::Value::from(config::Map::<String, config::Value>::new()));
    section_value
        .try_deserialize::<T>()
        .map_err(|e| ConfigError(format!("[{section}] {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::io::Write;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Demo {
        listen: String,
        #[serde(default)]
        count: u32,
    }

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new()
            .suffix(".toml")
            .tempfile()
            .expect("tempfile");
        f.write_all(text.as_bytes()).expect("write");
        f
    }

    #[test]
    fn reads_own_section_and_ignores_the_other() {
        let f = file("[frontend]\nlisten = \"a\"\n[aggregator]\nlisten = \"b\"\ncount = 3\n");
        let d: Demo =
            load_section(Some(f.path()), "aggregator", &Environment::default()).expect("load");
        assert_eq!(
            d,
            Demo {
                listen: "b".into(),
                count: 3
            }
        );
    }

    #[test]
    fn environment_overrides_the_file() {
        let f = file("[aggregator]\nlisten = \"b\"\n");
        let env = Environment(HashMap::from([
            ("REDDRUM__AGGREGATOR__COUNT".to_owned(), "7".to_owned()),
            ("REDDRUM__AGGREGATOR__LISTEN".to_owned(), "env".to_owned()),
        ]));
        let d: Demo = load_section(Some(f.path()), "aggregator", &env).expect("load");
        assert_eq!(
            d,
            Demo {
                listen: "env".into(),
                count: 7
            }
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let f = file("[aggregator]\nlisten = \"b\"\nlisen = 1\n");
        let e = load_section::<Demo>(Some(f.path()), "aggregator", &Environment::default())
            .expect_err("must fail");
        assert!(e.to_string().contains("lisen"), "{e}");
    }

    #[test]
    fn unknown_section_is_named() {
        let f = file("[agregator]\nlisten = \"b\"\n");
        let e = load_section::<Demo>(Some(f.path()), "aggregator", &Environment::default())
            .expect_err("must fail");
        assert!(e.to_string().contains("agregator"), "{e}");
    }

    #[test]
    fn bad_value_type_is_named() {
        let f = file("[aggregator]\nlisten = \"b\"\ncount = \"many\"\n");
        let e = load_section::<Demo>(Some(f.path()), "aggregator", &Environment::default())
            .expect_err("must fail");
        assert!(e.to_string().contains("count"), "{e}");
    }

    #[test]
    fn missing_file_is_reported() {
        let e = load_section::<Demo>(
            Some(Path::new("/nonexistent/x.toml")),
            "aggregator",
            &Environment::default(),
        )
        .expect_err("must fail");
        assert!(e.to_string().contains("/nonexistent/x.toml"), "{e}");
    }
}
