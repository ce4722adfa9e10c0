//! The environment-variable rules: which variable sets which key, `ALFRESCO_IMAP_OPTS` word
//! splitting, and `-Dkey=value` definitions.
//!
//! Matching rule: a variable sets a key when both compare equal after lower-casing and writing
//! every `.` as `_`. Only keys already known are candidates (the shipped defaults and the keys
//! set in `--config` files, under `imap.`, `alfresco.` and `share.`), so `IMAP_SERVER_PORT` sets
//! `imap.server.port` and `IMAP_SIDECAR_REST_PAGESIZE` sets `imap.sidecar.rest.pageSize`. A variable
//! that matches two keys (say `a.b_c` and `a_b.c`) is an error.

/// The variable holding `-Dkey=value` definitions, like `JAVA_OPTS` for the repository.
pub const OPTS_VARIABLE: &str = "ALFRESCO_IMAP_OPTS";

/// The suffix that makes a variable name a file holding the value (`..._FILE`).
pub const FILE_SUFFIX: &str = "_FILE";

/// `RUST_LOG`, accepted as another name of `imap.sidecar.log.level` (the specific name wins).
pub const RUST_LOG_VARIABLE: &str = "RUST_LOG";

/// The form of a key or variable name used for matching: lower case, `.` written as `_`.
pub fn match_form(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c == '.' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// Splits `-Dkey=value` (or `key=value` after a separate `-D`) into key and value. A definition
/// without `=` sets the empty value, as the JVM does. The key must not be empty.
pub fn parse_definition(text: &str) -> Option<(String, String)> {
    let (key, value) = text.split_once('=').unwrap_or((text, ""));
    let key = key.trim();
    if key.is_empty() {
        return None;
    }
    Some((key.to_string(), value.to_string()))
}

/// Splits the value of `ALFRESCO_IMAP_OPTS` into words the way a POSIX shell would, without any
/// expansion: whitespace separates words; `'...'` keeps everything literally; `"..."` keeps
/// everything except that `\"` and `\\` stand for `"` and `\`; outside quotes `\` keeps the next
/// character. An unclosed quote is an error.
pub fn split_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("unclosed single quote".to_string()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("unclosed double quote".to_string()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("unclosed double quote".to_string()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    word.push(c);
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Reads the definitions in `ALFRESCO_IMAP_OPTS`: each word is `-Dkey=value`, or `-D` followed by
/// `key=value` as the next word. Returns the definitions in order, or the first word that is not
/// one.
pub fn opts_definitions(text: &str) -> Result<Vec<(String, String)>, OptsError> {
    let words = split_words(text).map_err(OptsError::Quoting)?;
    let mut definitions = Vec::new();
    let mut words = words.into_iter();
    while let Some(word) = words.next() {
        let body = match word.strip_prefix("-D") {
            Some("") => words.next().ok_or(OptsError::NotADefinition(word))?,
            Some(body) => body.to_string(),
            None => return Err(OptsError::NotADefinition(word)),
        };
        match parse_definition(&body) {
            Some(definition) => definitions.push(definition),
            None => return Err(OptsError::NotADefinition(format!("-D{body}"))),
        }
    }
    Ok(definitions)
}

/// Why `ALFRESCO_IMAP_OPTS` could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptsError {
    /// An unclosed quote.
    Quoting(String),
    /// A word that is not `-Dkey=value`.
    NotADefinition(String),
}

/// Strips the single trailing line end (`\n` or `\r\n`) that editors add to secret files.
pub fn strip_trailing_newline(text: &str) -> &str {
    text.strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_form_lower_cases_and_maps_dots() {
        assert_eq!(match_form("IMAP_SERVER_PORT"), "imap_server_port");
        assert_eq!(match_form("imap.server.port"), "imap_server_port");
        assert_eq!(
            match_form("imap.sidecar.rest.pageSize"),
            match_form("IMAP_SIDECAR_REST_PAGESIZE")
        );
        assert_eq!(match_form("a.b_c"), match_form("a_b.c"));
    }

    #[test]
    fn definitions() {
        assert_eq!(parse_definition("a=b=c"), Some(("a".into(), "b=c".into())));
        assert_eq!(parse_definition("flag"), Some(("flag".into(), "".into())));
        assert_eq!(parse_definition("a="), Some(("a".into(), "".into())));
        assert_eq!(parse_definition("=x"), None);
        assert_eq!(parse_definition(""), None);
    }

    #[test]
    fn words_follow_shell_quoting() {
        assert_eq!(
            split_words(r#"  -Da=1   -Db="two words" '-Dc=it''s' -Dd=x\ y -De="q\"q\\\n" "#)
                .unwrap(),
            vec![
                "-Da=1",
                "-Db=two words",
                "-Dc=its",
                "-Dd=x y",
                "-De=q\"q\\\\n"
            ]
        );
        assert_eq!(split_words("-Da=''").unwrap(), vec!["-Da="]);
        assert_eq!(split_words("   ").unwrap(), Vec::<String>::new());
        assert_eq!(
            split_words("-Da='x").unwrap_err(),
            "unclosed single quote".to_string()
        );
        assert_eq!(
            split_words("-Da=\"x").unwrap_err(),
            "unclosed double quote".to_string()
        );
    }

    #[test]
    fn opts_accept_attached_and_separate_forms() {
        assert_eq!(
            opts_definitions(
                "-Dimap.config.server.mountPoints.value.X.mountPointName='My Docs' -D a=b"
            )
            .unwrap(),
            vec![
                (
                    "imap.config.server.mountPoints.value.X.mountPointName".to_string(),
                    "My Docs".to_string()
                ),
                ("a".to_string(), "b".to_string())
            ]
        );
        assert_eq!(
            opts_definitions("-Da=1 -Xmx1g").unwrap_err(),
            OptsError::NotADefinition("-Xmx1g".into())
        );
        assert_eq!(
            opts_definitions("-D").unwrap_err(),
            OptsError::NotADefinition("-D".into())
        );
        assert_eq!(
            opts_definitions("-D=1").unwrap_err(),
            OptsError::NotADefinition("-D=1".into())
        );
    }

    #[test]
    fn secret_files_lose_one_line_end() {
        assert_eq!(strip_trailing_newline("s3cret\n"), "s3cret");
        assert_eq!(strip_trailing_newline("s3cret\r\n"), "s3cret");
        assert_eq!(strip_trailing_newline("s3cret\n\n"), "s3cret\n");
        assert_eq!(strip_trailing_newline("s3cret"), "s3cret");
    }
}
