//! Turning property text into typed values, collecting an error (with key and origin) for each
//! value that does not fit instead of stopping at the first.
//!
//! Booleans, numbers, ports and durations are trimmed first and booleans accept what Spring
//! accepts for Alfresco (`true/false`, `yes/no`, `on/off`, `1/0`, any case). Words such as modes
//! are compared exactly, as Alfresco's `valueOf` does.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::error::{ConfigError, ConfigWarning, Problem};
use super::layers::Setting;
use super::origin::Origin;

/// What a key holds, for a reader.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lookup<'a> {
    /// A resolved value.
    Value(&'a Setting),
    /// The key is set nowhere.
    Missing,
    /// The key's placeholders failed; that error is already reported.
    Failed,
}

/// Reads typed values from the resolved map and keeps the errors and warnings it finds.
pub(crate) struct Reader<'a> {
    props: &'a BTreeMap<String, Setting>,
    failed: &'a BTreeSet<String>,
    /// Every error found so far.
    pub errors: Vec<ConfigError>,
    /// Every warning found so far.
    pub warnings: Vec<ConfigWarning>,
}

impl<'a> Reader<'a> {
    /// A reader over `props`, skipping the keys in `failed`.
    pub fn new(props: &'a BTreeMap<String, Setting>, failed: &'a BTreeSet<String>) -> Self {
        Self {
            props,
            failed,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The whole map.
    pub fn props(&self) -> &'a BTreeMap<String, Setting> {
        self.props
    }

    /// What `key` holds.
    pub fn lookup(&self, key: &str) -> Lookup<'a> {
        if self.failed.contains(key) {
            return Lookup::Failed;
        }
        match self.props.get(key) {
            Some(setting) => Lookup::Value(setting),
            None => Lookup::Missing,
        }
    }

    /// The origin of `key`, if set.
    pub fn origin(&self, key: &str) -> Option<Origin> {
        self.props.get(key).map(|s| s.origin.clone())
    }

    /// Records an error about `key`, located where it was set.
    pub fn fail(&mut self, key: &str, problem: Problem) {
        let origin = self.origin(key);
        self.errors.push(ConfigError::new(key, origin, problem));
    }

    /// Records a warning about `key`.
    pub fn warn(&mut self, key: &str, message: impl Into<String>) {
        let origin = self.origin(key);
        self.warnings.push(ConfigWarning {
            key: Some(key.to_string()),
            origin,
            message: message.into(),
        });
    }

    /// The value of a key that must be set; `None` (with an error if missing) otherwise.
    pub fn required(&mut self, key: &str) -> Option<&'a str> {
        match self.lookup(key) {
            Lookup::Value(setting) => Some(&setting.value),
            Lookup::Missing => {
                self.fail(key, Problem::NotSet);
                None
            }
            Lookup::Failed => None,
        }
    }

    /// The value as text ("" when it could not be read).
    pub fn string(&mut self, key: &str) -> String {
        self.required(key).unwrap_or_default().to_string()
    }

    /// The value through `parse`; the type's default when missing or invalid (an error is kept).
    pub fn parsed<T: Default>(
        &mut self,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, Problem>,
    ) -> T {
        let Some(text) = self.required(key) else {
            return T::default();
        };
        match parse(text) {
            Ok(value) => value,
            Err(problem) => {
                self.fail(key, problem);
                T::default()
            }
        }
    }

    /// A boolean.
    pub fn boolean(&mut self, key: &str) -> bool {
        self.parsed(key, parse_bool)
    }

    /// A whole number from `min` to `max`.
    pub fn number(&mut self, key: &str, min: u64, max: u64) -> u64 {
        self.parsed(key, |text| parse_number(text, min, max))
    }

    /// A whole number from `min` to `u32::MAX`.
    pub fn count(&mut self, key: &str, min: u32) -> u32 {
        let value = self.number(key, u64::from(min), u64::from(u32::MAX));
        u32::try_from(value).unwrap_or(u32::MAX)
    }

    /// A TCP port (0 lets the system choose).
    pub fn port(&mut self, key: &str) -> u16 {
        self.parsed(key, parse_port)
    }

    /// Whole milliseconds.
    pub fn millis(&mut self, key: &str) -> Duration {
        Duration::from_millis(self.number(key, 0, u64::MAX))
    }

    /// Whole milliseconds, at least `min_ms`.
    pub fn millis_at_least(&mut self, key: &str, min_ms: u64) -> Duration {
        Duration::from_millis(self.number(key, min_ms, u64::MAX))
    }

    /// One of a fixed list of words, compared exactly.
    pub fn word<T: Copy + Default>(&mut self, key: &str, words: &[(&str, T)]) -> T {
        self.parsed(key, |text| {
            words
                .iter()
                .find(|(word, _)| *word == text)
                .map(|(_, value)| *value)
                .ok_or_else(|| Problem::NotOneOf {
                    value: text.to_string(),
                    allowed: words.iter().map(|(word, _)| word.to_string()).collect(),
                })
        })
    }
}

/// Parses a boolean the way Spring's boolean editor does.
pub(crate) fn parse_bool(text: &str) -> Result<bool, Problem> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err(Problem::NotBoolean {
            value: text.to_string(),
        }),
    }
}

/// Parses a whole number in `min..=max` (decimal digits only, surrounding whitespace ignored).
pub(crate) fn parse_number(text: &str, min: u64, max: u64) -> Result<u64, Problem> {
    let trimmed = text.trim();
    let error = || Problem::NotNumber {
        value: text.to_string(),
        min,
        max,
    };
    if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(error());
    }
    let value: u64 = trimmed.parse().map_err(|_| error())?;
    if value < min || value > max {
        return Err(error());
    }
    Ok(value)
}

/// Parses a TCP port, 0 to 65535.
pub(crate) fn parse_port(text: &str) -> Result<u16, Problem> {
    parse_number(text, 0, u64::from(u16::MAX))
        .ok()
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| Problem::NotPort {
            value: text.to_string(),
        })
}

/// Splits a comma-separated list, trimming items and dropping empty ones.
pub(crate) fn split_list(text: &str) -> Vec<&str> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans() {
        for yes in ["true", "TRUE", " yes", "on ", "1"] {
            assert_eq!(parse_bool(yes), Ok(true), "{yes}");
        }
        for no in ["false", "False", "no", "off", "0"] {
            assert_eq!(parse_bool(no), Ok(false), "{no}");
        }
        assert_eq!(
            parse_bool("ture"),
            Err(Problem::NotBoolean {
                value: "ture".into()
            })
        );
        assert!(parse_bool("").is_err());
    }

    #[test]
    fn numbers_and_ports() {
        assert_eq!(parse_number(" 42 ", 0, 100), Ok(42));
        assert!(parse_number("-1", 0, 100).is_err());
        assert!(parse_number("+1", 0, 100).is_err());
        assert!(parse_number("1e3", 0, 10_000).is_err());
        assert!(parse_number("101", 0, 100).is_err());
        assert!(parse_number("0", 1, 100).is_err());
        assert!(parse_number("99999999999999999999999", 0, u64::MAX).is_err());
        assert_eq!(parse_port("143"), Ok(143));
        assert_eq!(parse_port("0"), Ok(0));
        assert_eq!(parse_port("65535"), Ok(65535));
        assert_eq!(
            parse_port("65536"),
            Err(Problem::NotPort {
                value: "65536".into()
            })
        );
        assert!(parse_port("imap").is_err());
    }

    #[test]
    fn lists() {
        assert_eq!(split_list(" A, B ,,C,"), vec!["A", "B", "C"]);
        assert_eq!(split_list(""), Vec::<&str>::new());
    }
}
