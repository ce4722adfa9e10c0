//! Locales and the formatting data of each (generated from Java 17 into `locale_data.rs`).

use std::fmt;

use super::locale_data::LOCALES;

/// The date, time and number formatting data of one locale, as Java 17 prints them.
#[derive(Debug)]
pub(super) struct LocaleData {
    /// `DateFormat` date patterns for the styles FULL, LONG, MEDIUM, SHORT.
    pub(super) date_patterns: [&'static str; 4],
    /// `DateFormat` time patterns for the styles FULL, LONG, MEDIUM, SHORT.
    pub(super) time_patterns: [&'static str; 4],
    /// Date-time patterns, indexed `date style × 4 + time style`.
    pub(super) date_time_patterns: [&'static str; 16],
    /// Month names in format context (`MMMM` with other fields), January first.
    pub(super) months_long: [&'static str; 12],
    /// Abbreviated month names in format context (`MMM`).
    pub(super) months_short: [&'static str; 12],
    /// Month names in stand-alone context (`LLLL`, or `MMMM` as the only field).
    pub(super) standalone_months_long: [&'static str; 12],
    /// Abbreviated month names in stand-alone context (`LLL`).
    pub(super) standalone_months_short: [&'static str; 12],
    /// Weekday names (`EEEE`), Sunday first.
    pub(super) weekdays_long: [&'static str; 7],
    /// Abbreviated weekday names (`EEE`), Sunday first.
    pub(super) weekdays_short: [&'static str; 7],
    /// AM and PM markers: short (`a`), then long (`aaaa`).
    pub(super) am_pm: [&'static str; 4],
    /// Eras: short BC, short AD, long BC, long AD (`G`, `GGGG`).
    pub(super) eras: [&'static str; 4],
    pub(super) zero_digit: char,
    pub(super) decimal_separator: char,
    pub(super) grouping_separator: char,
    /// What `DecimalFormat` puts before a negative number (the minus sign, maybe with marks).
    pub(super) negative_prefix: &'static str,
    pub(super) percent: char,
    pub(super) per_mille: char,
    pub(super) nan: &'static str,
    pub(super) infinity: &'static str,
    /// Positive prefix, positive suffix, negative prefix, negative suffix of the percent format.
    pub(super) percent_affixes: [&'static str; 4],
}

/// A locale for formatting dates and numbers, such as `de`, `pt_BR` or `zh_CN`.
///
/// Alfresco renders with the locale of the request; we render with one configured server locale.
/// Locales without their own data fall back to their language, then to Java's root locale.
#[derive(Clone, PartialEq, Eq)]
pub struct Locale {
    tag: String,
    index: usize,
    supported: bool,
}

impl Locale {
    /// Parses `language[_COUNTRY]` (also with `-`, any case; encodings such as `.UTF-8` and
    /// variants are ignored).
    pub fn parse(text: &str) -> Locale {
        let base = text.split(['.', '@']).next().unwrap_or("");
        let mut parts = base.split(['_', '-']).filter(|p| !p.is_empty());
        let language = parts.next().unwrap_or("").to_ascii_lowercase();
        let country = parts.next().unwrap_or("").to_ascii_uppercase();
        let tag = if country.is_empty() {
            language.clone()
        } else {
            format!("{language}_{country}")
        };
        let find = |t: &str| LOCALES.iter().position(|(name, ..)| *name == t);
        let (index, supported) = match find(&tag) {
            Some(i) => (i, !tag.is_empty()),
            None => match find(&language) {
                Some(i) => (i, !language.is_empty()),
                None => (find("").unwrap_or(0), false),
            },
        };
        Locale {
            tag,
            index,
            supported,
        }
    }

    /// The normalized tag, such as `pt_BR`.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// Whether formatting data exists for this locale or its language (otherwise Java's root
    /// locale data is used, which matches Java only for languages Java does not know either).
    pub fn is_supported(&self) -> bool {
        self.supported
    }

    /// The language code, such as `pt`.
    pub(super) fn language(&self) -> &str {
        self.tag.split('_').next().unwrap_or("")
    }

    pub(super) fn data(&self) -> &'static LocaleData {
        LOCALES
            .get(self.index)
            .map_or(LOCALES[0].1, |entry| entry.1)
    }

    /// The first day of the week (1 = Sunday … 7 = Saturday), as Java's `Calendar` has it.
    pub(super) fn first_day_of_week(&self) -> u8 {
        LOCALES.get(self.index).map_or(1, |entry| entry.2)
    }

    /// The minimal number of days of the first week of a year.
    pub(super) fn minimal_days_in_first_week(&self) -> u8 {
        LOCALES.get(self.index).map_or(1, |entry| entry.3)
    }
}

impl fmt::Debug for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Locale({})", self.tag)
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_and_fallback() {
        assert_eq!(Locale::parse("pt_BR").tag(), "pt_BR");
        assert_eq!(Locale::parse("pt-br").tag(), "pt_BR");
        assert_eq!(Locale::parse("en_US.UTF-8").tag(), "en_US");
        assert!(Locale::parse("de_CH").is_supported());
        assert_eq!(Locale::parse("de_CH").data().grouping_separator, '\u{2019}');
        // A country without its own data uses the language's.
        let de_it = Locale::parse("de_IT");
        assert!(de_it.is_supported());
        assert_eq!(de_it.data().decimal_separator, ',');
        // Unknown languages use the root locale.
        let xx = Locale::parse("xx");
        assert!(!xx.is_supported());
        assert_eq!(xx.data().date_patterns[2], "y MMM d");
        assert!(!Locale::parse("").is_supported());
    }
}
