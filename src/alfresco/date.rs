//! Alfresco's date-time format: `2026-11-28T12:57:32.509+0000`.
//!
//! The repository writes every date in UTC with milliseconds and a `+0000` offset (no colon,
//! never `Z`), which strict RFC 3339 parsers reject. [`parse()`] reads that form and, for values
//! typed by people or other systems, also RFC 3339 (`…Z`, `…+02:00`); [`format()`] writes exactly
//! the repository's form. The [`option`] module plugs both into serde.

use chrono::{DateTime, SecondsFormat, Utc};

/// A text that is not a date in any form the repository uses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an Alfresco date: {0:?}")]
pub struct DateError(pub String);

/// Parses `2026-11-28T12:57:32.509+0000` (any offset, any number of fraction digits) or an
/// RFC 3339 date, and returns it in UTC.
pub fn parse(text: &str) -> Result<DateTime<Utc>, DateError> {
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .map(|date| date.with_timezone(&Utc))
        .map_err(|_| DateError(text.chars().take(64).collect()))
}

/// Writes a date the way the repository does: UTC, milliseconds, `+0000`.
pub fn format(date: &DateTime<Utc>) -> String {
    // `SecondsFormat::Millis` with `use_z = false` yields `+00:00`; the repository has no colon.
    let text = date.to_rfc3339_opts(SecondsFormat::Millis, false);
    match text.strip_suffix("+00:00") {
        Some(stem) => format!("{stem}+0000"),
        None => text,
    }
}

/// Serde support for optional date fields: absent or `null` is `None`.
pub mod option {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `Some(date)` in the repository's format, `None` as `null`.
    pub fn serialize<S: Serializer>(
        value: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(date) => serializer.serialize_str(&super::format(date)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a date string, or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        let text = Option::<String>::deserialize(deserializer)?;
        text.map(|text| super::parse(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn repository_form_round_trips_exactly() {
        let text = "2026-11-28T12:57:32.509+0000";
        let date = parse(text).unwrap();
        assert_eq!(
            date,
            Utc.with_ymd_and_hms(2026, 11, 28, 12, 57, 32).unwrap()
                + chrono::Duration::milliseconds(509)
        );
        assert_eq!(format(&date), text);
    }

    #[test]
    fn whole_seconds_are_written_with_milliseconds() {
        let date = Utc.with_ymd_and_hms(2024, 5, 1, 10, 20, 30).unwrap();
        assert_eq!(format(&date), "2024-05-01T10:20:30.000+0000");
    }

    #[test]
    fn other_offsets_and_rfc3339_are_read_as_utc() {
        let expected = parse("2024-05-01T08:20:30.000+0000").unwrap();
        assert_eq!(parse("2024-05-01T10:20:30.000+0200").unwrap(), expected);
        assert_eq!(parse("2024-05-01T10:20:30+02:00").unwrap(), expected);
        assert_eq!(parse("2024-05-01T08:20:30.000Z").unwrap(), expected);
        assert_eq!(parse("2024-05-01T08:20:30Z").unwrap(), expected);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for text in [
            "",
            "yesterday",
            "2024-13-01T00:00:00.000+0000",
            "2024-05-01",
        ] {
            assert_eq!(parse(text), Err(DateError(text.to_string())), "{text}");
        }
    }

    #[test]
    fn serde_option_reads_absent_null_and_dates() {
        #[derive(serde::Deserialize, serde::Serialize, Debug, PartialEq)]
        struct Holder {
            #[serde(default, with = "option", skip_serializing_if = "Option::is_none")]
            at: Option<DateTime<Utc>>,
        }
        let absent: Holder = serde_json::from_str("{}").unwrap();
        assert_eq!(absent.at, None);
        let null: Holder = serde_json::from_str(r#"{"at":null}"#).unwrap();
        assert_eq!(null.at, None);
        let text = r#"{"at":"2026-11-28T12:57:32.509+0000"}"#;
        let some: Holder = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&some).unwrap(), text);
        assert!(serde_json::from_str::<Holder>(r#"{"at":"soon"}"#).is_err());
    }
}
