//! Where a configuration value came from, so every message can point at the line to fix.

use std::fmt;
use std::path::PathBuf;

/// The place a property value was set. Shown in errors and warnings ("`/etc/x.properties line 12`").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The shipped defaults (`subsystem-properties/imap-server.properties`), 1-based line.
    Default {
        /// Line of the key in the shipped file.
        line: usize,
    },
    /// A `--config` file, 1-based line of the key (the first line of a continued entry).
    File {
        /// The file as given on the command line.
        path: PathBuf,
        /// Line of the key.
        line: usize,
    },
    /// An environment variable that matched a known key (`IMAP_SERVER_PORT`).
    Env {
        /// The variable's name as set.
        var: String,
    },
    /// The content of a file named by a `<KEY>_FILE` environment variable (a secret).
    EnvFile {
        /// The `..._FILE` variable.
        var: String,
        /// The file it names.
        path: PathBuf,
    },
    /// One `-Dkey=value` inside `ALFRESCO_IMAP_OPTS`, counted from 1.
    Opts {
        /// Position among the definitions in the variable.
        position: usize,
    },
    /// One `-D key=value` command-line argument, counted from 1.
    Argument {
        /// Position among the `-D` arguments.
        position: usize,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default { line } => write!(f, "the shipped defaults line {line}"),
            Origin::File { path, line } => write!(f, "{} line {line}", path.display()),
            Origin::Env { var } => write!(f, "environment variable {var}"),
            Origin::EnvFile { var, path } => {
                write!(
                    f,
                    "{} (named by environment variable {var})",
                    path.display()
                )
            }
            Origin::Opts { position } => write!(f, "ALFRESCO_IMAP_OPTS definition {position}"),
            Origin::Argument { position } => write!(f, "command-line -D argument {position}"),
        }
    }
}

impl Origin {
    /// True for the shipped defaults (values nobody set explicitly).
    pub fn is_default(&self) -> bool {
        matches!(self, Origin::Default { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_each_origin() {
        assert_eq!(
            Origin::Default { line: 3 }.to_string(),
            "the shipped defaults line 3"
        );
        assert_eq!(
            Origin::File {
                path: "/etc/a.properties".into(),
                line: 12
            }
            .to_string(),
            "/etc/a.properties line 12"
        );
        assert_eq!(
            Origin::Env {
                var: "IMAP_SERVER_PORT".into()
            }
            .to_string(),
            "environment variable IMAP_SERVER_PORT"
        );
        assert_eq!(
            Origin::EnvFile {
                var: "X_FILE".into(),
                path: "/run/s".into()
            }
            .to_string(),
            "/run/s (named by environment variable X_FILE)"
        );
        assert_eq!(
            Origin::Opts { position: 2 }.to_string(),
            "ALFRESCO_IMAP_OPTS definition 2"
        );
        assert_eq!(
            Origin::Argument { position: 1 }.to_string(),
            "command-line -D argument 1"
        );
    }
}
