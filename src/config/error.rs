//! Configuration errors and warnings. Loading collects every problem before it gives up, and each
//! one names the key and where its value came from.

use std::fmt;

use super::origin::Origin;

/// What is wrong with one value (or one source). The key and place are in [`ConfigError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// A `--config` file or a `_FILE` secret could not be read.
    #[error("cannot read {path}: {reason}")]
    CannotRead {
        /// The file.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// A `.properties` line that Java would reject too (a malformed `\uXXXX` escape).
    #[error("syntax error: {0}")]
    Syntax(String),
    /// A `-D` definition (command line or `ALFRESCO_IMAP_OPTS`) that is not `key=value`.
    #[error("{text:?} is not a -Dkey=value definition")]
    BadDefinition {
        /// The offending text.
        text: String,
    },
    /// `ALFRESCO_IMAP_OPTS` could not be split into words (an unclosed quote).
    #[error("{0}")]
    BadOpts(String),
    /// An environment variable that matches more than one known key.
    #[error("the variable matches several keys: {}", keys.join(", "))]
    AmbiguousVariable {
        /// The keys it matches.
        keys: Vec<String>,
    },
    /// Both `K` and `K_FILE` are set for the same key.
    #[error("both {var} and {var}_FILE are set; use one of them")]
    ValueAndFile {
        /// The plain variable.
        var: String,
    },
    /// A `${name}` placeholder with no value in any layer.
    #[error("placeholder ${{{name}}} never resolves")]
    UnresolvedPlaceholder {
        /// The placeholder's key.
        name: String,
    },
    /// Placeholders that refer to each other in a loop.
    #[error("placeholders form a cycle: {}", chain.join(" -> "))]
    PlaceholderCycle {
        /// The keys in the loop, the first repeated at the end.
        chain: Vec<String>,
    },
    /// Placeholders nested deeper than any sane configuration needs.
    #[error("placeholders nested more than {0} levels deep")]
    PlaceholdersTooDeep(usize),
    /// A key that must have a value has none.
    #[error("is not set")]
    NotSet,
    /// Not one of true/false/yes/no/on/off/1/0.
    #[error("{value:?} is not a boolean (true or false)")]
    NotBoolean {
        /// The value as written.
        value: String,
    },
    /// Not a whole number in range.
    #[error("{value:?} is not a whole number from {min} to {max}")]
    NotNumber {
        /// The value as written.
        value: String,
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
    /// Not a TCP port.
    #[error("{value:?} is not a port number (0 to 65535)")]
    NotPort {
        /// The value as written.
        value: String,
    },
    /// A view mode other than ARCHIVE, MIXED, VIRTUAL (exact upper case, as in Alfresco).
    #[error("{value:?} is not a mode (ARCHIVE, MIXED or VIRTUAL, in upper case)")]
    UnknownMode {
        /// The value as written.
        value: String,
    },
    /// A value outside a fixed list of words.
    #[error("{value:?} is not one of {}", allowed.join(", "))]
    NotOneOf {
        /// The value as written.
        value: String,
        /// The accepted words.
        allowed: Vec<String>,
    },
    /// Not a plain e-mail address (`local@domain`).
    #[error("{value:?} is not a plain e-mail address such as alfresco@example.org")]
    BadAddress {
        /// The value as written.
        value: String,
    },
    /// A composite id is listed but nothing is set for it.
    #[error("id {id:?} is listed but no {key}.value.{id}.* key is set")]
    ListedWithoutValues {
        /// The composite key (`imap.config.server.mountPoints`).
        key: String,
        /// The id.
        id: String,
    },
    /// The same id listed twice in a composite list.
    #[error("id {id:?} is listed twice")]
    DuplicateId {
        /// The id.
        id: String,
    },
    /// A setting name under `.value.<id>.` or `.default.` that the composite does not have.
    #[error("unknown setting {name:?} (known: {})", known.join(", "))]
    UnknownSetting {
        /// The setting as written.
        name: String,
        /// What the composite accepts.
        known: Vec<String>,
    },
    /// Two mount points with the same visible name.
    #[error("mount point name {name:?} is used by both {first} and {second}")]
    DuplicateMountPointName {
        /// The name.
        name: String,
        /// The id that has it first.
        first: String,
        /// The id that repeats it.
        second: String,
    },
    /// The same folder listed twice.
    #[error("folder {folder} is listed by both {first} and {second}")]
    DuplicateFolder {
        /// The folder as written.
        folder: String,
        /// First id.
        first: String,
        /// Second id.
        second: String,
    },
    /// A store other than `workspace://SpacesStore`.
    #[error("{value:?} is not supported; the only store is workspace://SpacesStore")]
    UnsupportedStore {
        /// The value as written.
        value: String,
    },
    /// A repository path that cannot be used.
    #[error("{value:?} is not a usable repository path: {reason}")]
    BadPath {
        /// The value as written.
        value: String,
        /// Why.
        reason: String,
    },
    /// Plain http to a repository on another machine.
    #[error(
        "refusing http to {host:?}: user passwords would cross the network unencrypted; \
         use https or set imap.sidecar.rest.allowInsecure=true"
    )]
    InsecureRepository {
        /// The repository host.
        host: String,
    },
    /// Any other value that does not fit; `expected` says what would.
    #[error("{value:?} is invalid: {expected}")]
    Invalid {
        /// The value as written.
        value: String,
        /// What is expected instead.
        expected: String,
    },
}

/// One configuration problem: the key (if it is about one), where its value came from, and what is
/// wrong. Displays as `key imap.server.port in /etc/x.properties line 12: "x" is not a port ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The key concerned, if any.
    pub key: Option<String>,
    /// Where the offending value was set, if anywhere.
    pub origin: Option<Origin>,
    /// What is wrong.
    pub problem: Problem,
}

impl ConfigError {
    /// An error about `key`, set at `origin`.
    pub fn new(key: impl Into<String>, origin: Option<Origin>, problem: Problem) -> Self {
        Self {
            key: Some(key.into()),
            origin,
            problem,
        }
    }

    /// An error about a source rather than a key (an unreadable file, a syntax error).
    pub fn at(origin: Option<Origin>, problem: Problem) -> Self {
        Self {
            key: None,
            origin,
            problem,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_located(f, self.key.as_deref(), self.origin.as_ref())?;
        write!(f, "{}", self.problem)
    }
}

impl std::error::Error for ConfigError {}

/// Every problem found while loading; never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// The individual errors, in the order they were found.
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Something worth telling the operator that does not stop the server (an ignored key, a key set
/// twice in one file, an unknown `imap.*` key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// The key concerned, if any.
    pub key: Option<String>,
    /// Where it was set.
    pub origin: Option<Origin>,
    /// What to know.
    pub message: String,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_located(f, self.key.as_deref(), self.origin.as_ref())?;
        write!(f, "{}", self.message)
    }
}

fn write_located(
    f: &mut fmt::Formatter<'_>,
    key: Option<&str>,
    origin: Option<&Origin>,
) -> fmt::Result {
    match (key, origin) {
        (Some(key), Some(origin)) => write!(f, "key {key} in {origin}: "),
        (Some(key), None) => write!(f, "key {key}: "),
        (None, Some(origin)) => write!(f, "{origin}: "),
        (None, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_names_key_file_and_line() {
        let error = ConfigError::new(
            "imap.server.port",
            Some(Origin::File {
                path: "/etc/alfresco-global.properties".into(),
                line: 12,
            }),
            Problem::NotPort {
                value: "14x".into(),
            },
        );
        assert_eq!(
            error.to_string(),
            "key imap.server.port in /etc/alfresco-global.properties line 12: \
             \"14x\" is not a port number (0 to 65535)"
        );
    }

    #[test]
    fn error_without_key_or_origin() {
        let error = ConfigError::at(None, Problem::NotSet);
        assert_eq!(error.to_string(), "is not set");
        let errors = ConfigErrors(vec![
            ConfigError::new("a", None, Problem::NotSet),
            ConfigError::new("b", None, Problem::NotSet),
        ]);
        assert_eq!(errors.to_string(), "key a: is not set\nkey b: is not set");
    }
}
