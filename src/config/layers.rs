//! The layers, lowest first: shipped defaults → each `--config` file in order → environment
//! variables (plain, then `_FILE` secrets, then `ALFRESCO_IMAP_OPTS`) → `-D` arguments. A later
//! layer replaces a key's value; placeholders are resolved afterwards, on the merged map.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::environment::{
    self, FILE_SUFFIX, OPTS_VARIABLE, OptsError, RUST_LOG_VARIABLE, match_form,
};
use super::error::{ConfigError, ConfigWarning, Problem};
use super::origin::Origin;
use super::properties_file;

/// The shipped defaults, built into the binary.
pub const SHIPPED_DEFAULTS: &str =
    include_str!("../../subsystem-properties/imap-server.properties");

/// The key that `RUST_LOG` also sets.
const LOG_LEVEL_KEY: &str = "imap.sidecar.log.level";

/// Everything configuration is read from. The environment and the host name are injected, so
/// tests never depend on the machine they run on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigSources {
    /// `--config` files, lowest precedence first.
    pub files: Vec<PathBuf>,
    /// `-D` arguments as given (`key=value`), in order; later ones win.
    pub defines: Vec<String>,
    /// Environment variables (name → value).
    pub env: BTreeMap<String, String>,
    /// The host name `${localname}` stands for; `None` asks the operating system.
    pub local_name: Option<String>,
}

impl ConfigSources {
    /// Sources for the running process: its environment (variables that are not valid UTF-8 are
    /// skipped) and the machine's host name.
    pub fn from_process(files: Vec<PathBuf>, defines: Vec<String>) -> Self {
        let env = std::env::vars_os()
            .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
            .collect();
        Self {
            files,
            defines,
            env,
            local_name: None,
        }
    }
}

/// A value and the place it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The value (placeholders already resolved once it is in [`super::EffectiveProperties`]).
    pub value: String,
    /// Where it was set.
    pub origin: Origin,
}

/// The merged, unresolved layers, and what went wrong while reading them.
#[derive(Debug, Default)]
pub(crate) struct Merged {
    pub values: BTreeMap<String, Setting>,
    /// The keys of the shipped defaults.
    pub default_keys: BTreeSet<String>,
    pub errors: Vec<ConfigError>,
    pub warnings: Vec<ConfigWarning>,
}

impl Merged {
    fn set(&mut self, key: String, value: String, origin: Origin) {
        self.values.insert(key, Setting { value, origin });
    }
}

/// True for the key families whose values are ours to check.
pub(crate) fn is_checked_key(key: &str) -> bool {
    key.starts_with("imap.") || key.starts_with("alfresco.") || key.starts_with("share.")
}

/// Reads every layer of `sources` into one map.
pub(crate) fn merge(sources: &ConfigSources) -> Merged {
    let mut merged = Merged::default();
    let defaults = properties_file::parse(SHIPPED_DEFAULTS.as_bytes());
    for (line, message) in defaults.errors {
        merged.errors.push(ConfigError::at(
            Some(Origin::Default { line }),
            Problem::Syntax(message),
        ));
    }
    for entry in defaults.entries {
        let origin = Origin::Default { line: entry.line };
        merged.set(entry.key, entry.value, origin);
    }
    merged.default_keys = merged.values.keys().cloned().collect();
    let mut known = merged.default_keys.clone();

    for path in &sources.files {
        read_file(path, &mut merged, &mut known);
    }
    known.retain(|key| is_checked_key(key));
    apply_environment(&sources.env, &known, &mut merged);
    apply_opts(&sources.env, &mut merged);
    for (index, text) in sources.defines.iter().enumerate() {
        let origin = Origin::Argument {
            position: index + 1,
        };
        match environment::parse_definition(text) {
            Some((key, value)) => merged.set(key, value, origin),
            None => merged.errors.push(ConfigError::at(
                Some(origin),
                Problem::BadDefinition {
                    text: format!("-D{text}"),
                },
            )),
        }
    }
    merged
}

fn read_file(path: &PathBuf, merged: &mut Merged, known: &mut BTreeSet<String>) {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            merged.errors.push(ConfigError::at(
                None,
                Problem::CannotRead {
                    path: path.display().to_string(),
                    reason: error.to_string(),
                },
            ));
            return;
        }
    };
    let parsed = properties_file::parse(&bytes);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for entry in parsed.entries {
        if let Some(first) = seen.insert(entry.key.clone(), entry.line) {
            merged.warnings.push(ConfigWarning {
                key: Some(entry.key.clone()),
                origin: Some(Origin::File {
                    path: path.clone(),
                    line: entry.line,
                }),
                message: format!("also set on line {first}; this later line wins"),
            });
        }
        known.insert(entry.key.clone());
        let origin = Origin::File {
            path: path.clone(),
            line: entry.line,
        };
        merged.set(entry.key, entry.value, origin);
    }
    for (line, message) in parsed.errors {
        merged.errors.push(ConfigError::at(
            Some(Origin::File {
                path: path.clone(),
                line,
            }),
            Problem::Syntax(message),
        ));
    }
}

/// Plain variables first, `_FILE` variables next; `RUST_LOG` before `IMAP_SIDECAR_LOG_LEVEL`.
fn apply_environment(
    env: &BTreeMap<String, String>,
    known: &BTreeSet<String>,
    merged: &mut Merged,
) {
    let mut by_form: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    for key in known {
        by_form.entry(match_form(key)).or_default().push(key);
    }
    let lookup = |name: &str| by_form.get(&match_form(name)).map(Vec::as_slice);

    if let Some(value) = env.get(RUST_LOG_VARIABLE) {
        let origin = Origin::Env {
            var: RUST_LOG_VARIABLE.to_string(),
        };
        merged.set(LOG_LEVEL_KEY.to_string(), value.clone(), origin);
    }

    let mut plain_forms = BTreeSet::new();
    for (var, value) in env {
        if var == OPTS_VARIABLE {
            continue;
        }
        match lookup(var) {
            Some([key]) => {
                plain_forms.insert(match_form(var));
                let origin = Origin::Env { var: var.clone() };
                merged.set((*key).clone(), value.clone(), origin);
            }
            Some(keys) => merged.errors.push(ConfigError::at(
                Some(Origin::Env { var: var.clone() }),
                Problem::AmbiguousVariable {
                    keys: keys.iter().map(|k| (*k).clone()).collect(),
                },
            )),
            None => {}
        }
    }

    for (var, path) in env {
        if lookup(var).is_some() || var.len() <= FILE_SUFFIX.len() {
            continue;
        }
        let Some(base) = strip_suffix_ignore_case(var, FILE_SUFFIX) else {
            continue;
        };
        let keys = match lookup(base) {
            Some(keys) => keys,
            None => continue,
        };
        let origin = Origin::EnvFile {
            var: var.clone(),
            path: PathBuf::from(path),
        };
        let [key] = keys else {
            merged.errors.push(ConfigError::at(
                Some(origin),
                Problem::AmbiguousVariable {
                    keys: keys.iter().map(|k| (*k).clone()).collect(),
                },
            ));
            continue;
        };
        if plain_forms.contains(&match_form(base)) {
            merged.errors.push(ConfigError::new(
                (*key).clone(),
                Some(origin),
                Problem::ValueAndFile {
                    var: base.to_string(),
                },
            ));
            continue;
        }
        match std::fs::read(path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let value = environment::strip_trailing_newline(&text).to_string();
                merged.set((*key).clone(), value, origin);
            }
            Err(error) => merged.errors.push(ConfigError::new(
                (*key).clone(),
                Some(Origin::Env { var: var.clone() }),
                Problem::CannotRead {
                    path: path.clone(),
                    reason: error.to_string(),
                },
            )),
        }
    }
}

fn strip_suffix_ignore_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = text.len().checked_sub(suffix.len())?;
    let (base, tail) = (text.get(..cut)?, text.get(cut..)?);
    tail.eq_ignore_ascii_case(suffix).then_some(base)
}

fn apply_opts(env: &BTreeMap<String, String>, merged: &mut Merged) {
    let Some(text) = env.get(OPTS_VARIABLE) else {
        return;
    };
    let origin = Origin::Env {
        var: OPTS_VARIABLE.to_string(),
    };
    match environment::opts_definitions(text) {
        Ok(definitions) => {
            for (index, (key, value)) in definitions.into_iter().enumerate() {
                let origin = Origin::Opts {
                    position: index + 1,
                };
                merged.set(key, value, origin);
            }
        }
        Err(OptsError::Quoting(reason)) => merged
            .errors
            .push(ConfigError::at(Some(origin), Problem::BadOpts(reason))),
        Err(OptsError::NotADefinition(text)) => merged.errors.push(ConfigError::at(
            Some(origin),
            Problem::BadDefinition { text },
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn file(text: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text).unwrap();
        file
    }

    fn value<'a>(merged: &'a Merged, key: &str) -> &'a Setting {
        merged.values.get(key).unwrap()
    }

    #[test]
    fn shipped_defaults_parse_without_errors() {
        let merged = merge(&ConfigSources::default());
        assert_eq!(merged.errors, vec![]);
        assert_eq!(merged.warnings, vec![]);
        assert_eq!(value(&merged, "imap.server.port").value, "143");
        assert!(value(&merged, "imap.server.port").origin.is_default());
    }

    #[test]
    fn precedence_defaults_files_env_opts_defines() {
        let first = file(b"imap.server.port=1001\nimap.server.host=10.0.0.1\na.b=1\n");
        let second = file(b"imap.server.port=1002\nimap.mail.to.default=x@y.z\n");
        let sources = ConfigSources {
            files: vec![first.path().into(), second.path().into()],
            defines: vec!["imap.server.imaps.port=2004".into()],
            env: env(&[
                ("IMAP_SERVER_HOST", "10.0.0.3"),
                ("IMAP_SERVER_IMAPS_PORT", "2003"),
                ("IMAP_MAIL_TO_DEFAULT", "env@y.z"),
                ("ALFRESCO_IMAP_OPTS", "-Dimap.mail.to.default=opts@y.z"),
            ]),
            local_name: None,
        };
        let merged = merge(&sources);
        assert_eq!(merged.errors, vec![]);
        assert_eq!(value(&merged, "imap.server.port").value, "1002");
        assert_eq!(
            value(&merged, "imap.server.port").origin,
            Origin::File {
                path: second.path().into(),
                line: 1
            }
        );
        assert_eq!(value(&merged, "imap.server.host").value, "10.0.0.3");
        assert_eq!(value(&merged, "imap.mail.to.default").value, "opts@y.z");
        assert_eq!(
            value(&merged, "imap.mail.to.default").origin,
            Origin::Opts { position: 1 }
        );
        assert_eq!(value(&merged, "imap.server.imaps.port").value, "2004");
        assert_eq!(
            value(&merged, "imap.server.imaps.port").origin,
            Origin::Argument { position: 1 }
        );
        // A key only in a file keeps its file origin; unrelated keys are kept as they are.
        assert_eq!(value(&merged, "a.b").value, "1");
    }

    #[test]
    fn environment_matches_known_keys_case_insensitively() {
        let extra = file(b"imap.config.server.mountPoints.value.Docs.rootPath=/app:company_home\n");
        let sources = ConfigSources {
            files: vec![extra.path().into()],
            env: env(&[
                ("imap_server_port", "1143"),
                ("IMAP_SIDECAR_REST_PAGESIZE", "50"),
                (
                    "IMAP_CONFIG_SERVER_MOUNTPOINTS_VALUE_DOCS_ROOTPATH",
                    "/app:company_home/st:sites",
                ),
                ("IMAP_SERVER_NOSUCHKEY", "1"),
                ("PATH", "/usr/bin"),
                ("A_B", "not ours"),
            ]),
            ..Default::default()
        };
        let merged = merge(&sources);
        assert_eq!(merged.errors, vec![]);
        assert_eq!(value(&merged, "imap.server.port").value, "1143");
        assert_eq!(
            value(&merged, "imap.server.port").origin,
            Origin::Env {
                var: "imap_server_port".into()
            }
        );
        assert_eq!(value(&merged, "imap.sidecar.rest.pageSize").value, "50");
        assert_eq!(
            value(
                &merged,
                "imap.config.server.mountPoints.value.Docs.rootPath"
            )
            .value,
            "/app:company_home/st:sites"
        );
        assert!(!merged.values.contains_key("imap.server.nosuchkey"));
        assert!(!merged.values.keys().any(|k| k.eq_ignore_ascii_case("path")));
    }

    #[test]
    fn keys_with_underscores_match_and_ambiguity_is_an_error() {
        let keys = file(b"imap.sidecar.x_y.z=1\nimap.sidecar.x.y_z=2\nimap.sidecar.only_one=3\n");
        let sources = ConfigSources {
            files: vec![keys.path().into()],
            env: env(&[("IMAP_SIDECAR_X_Y_Z", "9"), ("IMAP_SIDECAR_ONLY_ONE", "4")]),
            ..Default::default()
        };
        let merged = merge(&sources);
        assert_eq!(value(&merged, "imap.sidecar.only_one").value, "4");
        assert_eq!(
            merged.errors,
            vec![ConfigError::at(
                Some(Origin::Env {
                    var: "IMAP_SIDECAR_X_Y_Z".into()
                }),
                Problem::AmbiguousVariable {
                    keys: vec!["imap.sidecar.x.y_z".into(), "imap.sidecar.x_y.z".into()]
                }
            )]
        );
    }

    #[test]
    fn secret_from_file_variable_loses_trailing_newline() {
        let secret = file(b"p4ss word\n");
        let sources = ConfigSources {
            env: env(&[(
                "IMAP_SIDECAR_STATE_URL_FILE",
                secret.path().to_str().unwrap(),
            )]),
            ..Default::default()
        };
        let merged = merge(&sources);
        assert_eq!(merged.errors, vec![]);
        let setting = value(&merged, "imap.sidecar.state.url");
        assert_eq!(setting.value, "p4ss word");
        assert_eq!(
            setting.origin,
            Origin::EnvFile {
                var: "IMAP_SIDECAR_STATE_URL_FILE".into(),
                path: secret.path().into()
            }
        );
    }

    #[test]
    fn secret_file_errors() {
        let sources = ConfigSources {
            env: env(&[
                ("IMAP_SIDECAR_EVENTS_URL_FILE", "/nonexistent/secret"),
                ("IMAP_SIDECAR_STATE_URL", "sqlite:x"),
                ("IMAP_SIDECAR_STATE_URL_FILE", "/nonexistent/other"),
            ]),
            ..Default::default()
        };
        let merged = merge(&sources);
        assert_eq!(merged.errors.len(), 2, "{:?}", merged.errors);
        assert_eq!(
            merged.errors[0].key.as_deref(),
            Some("imap.sidecar.events.url")
        );
        assert!(matches!(
            merged.errors[0].problem,
            Problem::CannotRead { ref path, .. } if path == "/nonexistent/secret"
        ));
        assert_eq!(
            merged.errors[1].problem,
            Problem::ValueAndFile {
                var: "IMAP_SIDECAR_STATE_URL".into()
            }
        );
    }

    #[test]
    fn rust_log_sets_the_log_level_unless_the_specific_variable_does() {
        let merged = merge(&ConfigSources {
            env: env(&[("RUST_LOG", "debug")]),
            ..Default::default()
        });
        assert_eq!(value(&merged, LOG_LEVEL_KEY).value, "debug");
        let merged = merge(&ConfigSources {
            env: env(&[("RUST_LOG", "debug"), ("IMAP_SIDECAR_LOG_LEVEL", "warn")]),
            ..Default::default()
        });
        assert_eq!(value(&merged, LOG_LEVEL_KEY).value, "warn");
    }

    #[test]
    fn opts_any_key_and_errors() {
        let merged = merge(&ConfigSources {
            env: env(&[(
                "ALFRESCO_IMAP_OPTS",
                "-Dimap.config.server.mountPoints.value.New.mountPointName=\"New Docs\" -D x.y=1",
            )]),
            ..Default::default()
        });
        assert_eq!(merged.errors, vec![]);
        assert_eq!(
            value(
                &merged,
                "imap.config.server.mountPoints.value.New.mountPointName"
            )
            .value,
            "New Docs"
        );
        assert_eq!(value(&merged, "x.y").origin, Origin::Opts { position: 2 });

        let merged = merge(&ConfigSources {
            env: env(&[("ALFRESCO_IMAP_OPTS", "-Da=1 -Xmx2g")]),
            ..Default::default()
        });
        assert_eq!(
            merged.errors[0].to_string(),
            "environment variable ALFRESCO_IMAP_OPTS: \"-Xmx2g\" is not a -Dkey=value definition"
        );
        let merged = merge(&ConfigSources {
            env: env(&[("ALFRESCO_IMAP_OPTS", "-Da='1")]),
            ..Default::default()
        });
        assert_eq!(
            merged.errors[0].to_string(),
            "environment variable ALFRESCO_IMAP_OPTS: unclosed single quote"
        );
    }

    #[test]
    fn bad_define_and_unreadable_file() {
        let merged = merge(&ConfigSources {
            files: vec!["/nonexistent/alfresco-global.properties".into()],
            defines: vec!["ok=1".into(), "=oops".into()],
            ..Default::default()
        });
        assert_eq!(merged.errors.len(), 2);
        assert!(
            merged.errors[0]
                .to_string()
                .starts_with("cannot read /nonexistent/alfresco-global.properties: ")
        );
        assert_eq!(
            merged.errors[1].to_string(),
            "command-line -D argument 2: \"-D=oops\" is not a -Dkey=value definition"
        );
    }

    #[test]
    fn key_repeated_in_one_file_warns_and_later_wins() {
        let twice = file(b"imap.server.port=1\n# c\nimap.server.port=2\n");
        let merged = merge(&ConfigSources {
            files: vec![twice.path().into()],
            ..Default::default()
        });
        assert_eq!(value(&merged, "imap.server.port").value, "2");
        assert_eq!(merged.warnings.len(), 1);
        assert_eq!(
            merged.warnings[0].to_string(),
            format!(
                "key imap.server.port in {} line 3: also set on line 1; this later line wins",
                twice.path().display()
            )
        );
    }

    #[test]
    fn syntax_error_names_file_and_line() {
        let bad = file(b"a=1\nb=\\uZZZZ\n");
        let merged = merge(&ConfigSources {
            files: vec![bad.path().into()],
            ..Default::default()
        });
        assert_eq!(merged.errors.len(), 1);
        assert_eq!(
            merged.errors[0].origin,
            Some(Origin::File {
                path: bad.path().into(),
                line: 2
            })
        );
    }
}
