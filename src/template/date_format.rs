//! Date formatting as Java's `SimpleDateFormat` does it for FreeMarker.
//!
//! Alfresco sets no date formats, so `?datetime`, `?date` and `?time` print with Java's MEDIUM
//! style for the locale; `?string("...")` takes a style name (`short`, `medium`, `long`, `full`,
//! or `date_time` pairs such as `short_medium`) or a `SimpleDateFormat` pattern. Time zone names
//! (`z`) are not supported: they need Java's zone name tables.

use chrono::{DateTime, Datelike, NaiveDate, Offset, Timelike, Utc};
use chrono_tz::Tz;

use super::locale::Locale;
use super::value::DateKind;

/// A `DateFormat` style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Full = 0,
    Long = 1,
    Medium = 2,
    Short = 3,
}

impl Style {
    fn parse(name: &str) -> Option<Style> {
        match name {
            "full" => Some(Style::Full),
            "long" => Some(Style::Long),
            "medium" => Some(Style::Medium),
            "short" => Some(Style::Short),
            _ => None,
        }
    }
}

/// Why a date cannot be formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DateFormatError {
    /// A style was asked for but the value's kind is unknown.
    UnknownKind,
    /// The pattern is not a valid `SimpleDateFormat` pattern.
    Invalid(String),
    /// The pattern uses something we do not implement.
    Unsupported(String),
}

/// The pattern FreeMarker uses for `format` (a style name, style pair or pattern) on a value of
/// `kind`: `Ok(pattern)`.
pub(super) fn resolve_pattern(
    format: &str,
    kind: DateKind,
    locale: &Locale,
) -> Result<String, DateFormatError> {
    if format.starts_with("xs") || format.starts_with("iso") {
        return Err(DateFormatError::Unsupported(format!(
            "the date format \"{format}\" (XML Schema/ISO 8601 formats)"
        )));
    }
    if format.len() > 1 && format.starts_with('@') {
        return Err(DateFormatError::Unsupported(format!(
            "the custom date format \"{format}\""
        )));
    }
    let mut tokens = format.split('_').filter(|t| !t.is_empty());
    let first = match tokens.next() {
        None => Some(Style::Medium),
        Some(t) => Style::parse(t),
    };
    if let Some(first) = first {
        let data = locale.data();
        match kind {
            DateKind::Unknown => return Err(DateFormatError::UnknownKind),
            DateKind::Time => return Ok(data.time_patterns[first as usize].to_owned()),
            DateKind::Date => return Ok(data.date_patterns[first as usize].to_owned()),
            DateKind::DateTime => {
                let second = match tokens.next() {
                    None => Some(first),
                    Some(t) => Style::parse(t),
                };
                if let Some(second) = second {
                    return Ok(
                        data.date_time_patterns[first as usize * 4 + second as usize].to_owned(),
                    );
                }
            }
        }
    }
    Ok(format.to_owned())
}

/// Formats `at` in `zone` with a `SimpleDateFormat` pattern.
pub(super) fn format(
    pattern: &str,
    at: DateTime<Utc>,
    zone: Tz,
    locale: &Locale,
) -> Result<String, DateFormatError> {
    let local = at.with_timezone(&zone);
    let offset_seconds = local.offset().fix().local_minus_utc();
    let fields = Fields::new(local.date_naive(), local.time(), offset_seconds, locale);
    let parts = compile(pattern)?;
    // Java prints stand-alone month names when the month is the pattern's only field.
    let standalone = matches!(
        parts
            .iter()
            .filter(|p| matches!(p, Part::Field(..)))
            .collect::<Vec<_>>()
            .as_slice(),
        [Part::Field('M', _)]
    );
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Literal(text) => out.push_str(&text),
            Part::Field('M', count) if standalone => fields.write('L', count, locale, &mut out)?,
            Part::Field(letter, count) => fields.write(letter, count, locale, &mut out)?,
        }
    }
    Ok(out)
}

enum Part {
    Literal(String),
    Field(char, usize),
}

/// Splits a pattern into literals and fields, as `SimpleDateFormat.compile`.
fn compile(pattern: &str) -> Result<Vec<Part>, DateFormatError> {
    let mut parts = Vec::new();
    let mut chars = pattern.chars().peekable();
    let mut literal = String::new();
    while let Some(c) = chars.next() {
        if c == '\'' {
            if chars.peek() == Some(&'\'') {
                chars.next();
                literal.push('\'');
                continue;
            }
            loop {
                match chars.next() {
                    None => return Err(DateFormatError::Invalid("Unterminated quote".to_owned())),
                    Some('\'') if chars.peek() == Some(&'\'') => {
                        chars.next();
                        literal.push('\'');
                    }
                    Some('\'') => break,
                    Some(q) => literal.push(q),
                }
            }
        } else if c.is_ascii_alphabetic() {
            if !"GyMdkHmsSEDFwWahKzZYuXL".contains(c) {
                return Err(DateFormatError::Invalid(format!(
                    "Illegal pattern character '{c}'"
                )));
            }
            let mut count = 1;
            while chars.peek() == Some(&c) {
                chars.next();
                count += 1;
            }
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut literal)));
            }
            parts.push(Part::Field(c, count));
        } else {
            literal.push(c);
        }
    }
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    Ok(parts)
}

/// The calendar fields of one instant in one zone.
struct Fields {
    date: NaiveDate,
    hour: u32,
    minute: u32,
    second: u32,
    millis: u32,
    offset_seconds: i32,
    week_of_year: i64,
    week_year: i32,
    week_of_month: i64,
}

impl Fields {
    fn new(date: NaiveDate, time: chrono::NaiveTime, offset_seconds: i32, locale: &Locale) -> Self {
        let first_day = i64::from(locale.first_day_of_week());
        let minimal_days = i64::from(locale.minimal_days_in_first_week());
        let fixed = i64::from(date.num_days_from_ce());
        let jan1 = NaiveDate::from_ymd_opt(date.year(), 1, 1)
            .map_or(fixed, |d| i64::from(d.num_days_from_ce()));
        let year_length = if date.leap_year() { 366 } else { 365 };
        let mut week_of_year = week_number(jan1, fixed, first_day, minimal_days);
        let mut week_year = date.year();
        if week_of_year == 0 {
            let previous_jan1 = NaiveDate::from_ymd_opt(date.year() - 1, 1, 1)
                .map_or(jan1 - 365, |d| i64::from(d.num_days_from_ce()));
            week_of_year = week_number(previous_jan1, jan1 - 1, first_day, minimal_days);
        } else if week_of_year >= 52 {
            let next_jan1 = jan1 + year_length;
            let next_week1 = day_of_week_on_or_before(next_jan1 + 6, first_day);
            if next_week1 - next_jan1 >= minimal_days && fixed >= next_week1 - 7 {
                week_of_year = 1;
            }
        }
        if date.month() == 1 && week_of_year >= 52 {
            week_year -= 1;
        } else if date.month() != 1 && week_of_year == 1 {
            week_year += 1;
        }
        let month1 = fixed - i64::from(date.day()) + 1;
        Fields {
            date,
            hour: time.hour(),
            minute: time.minute(),
            second: time.second(),
            millis: time.nanosecond() / 1_000_000 % 1000,
            offset_seconds,
            week_of_year,
            week_year,
            week_of_month: week_number(month1, fixed, first_day, minimal_days),
        }
    }

    fn write(
        &self,
        letter: char,
        count: usize,
        locale: &Locale,
        out: &mut String,
    ) -> Result<(), DateFormatError> {
        let data = locale.data();
        let text = |out: &mut String, s: &str| out.push_str(s);
        let month = self.date.month0() as usize;
        let weekday = self.date.weekday().num_days_from_sunday() as usize;
        let (bc, year_of_era) = if self.date.year() <= 0 {
            (true, 1 - self.date.year())
        } else {
            (false, self.date.year())
        };
        match letter {
            'G' => text(
                out,
                data.eras[usize::from(!bc) + if count >= 4 { 2 } else { 0 }],
            ),
            'y' => year(out, i64::from(year_of_era), count, locale),
            'Y' => year(out, i64::from(self.week_year), count, locale),
            'M' if count >= 4 => text(out, data.months_long[month]),
            'M' if count == 3 => text(out, data.months_short[month]),
            'L' if count >= 4 => text(out, data.standalone_months_long[month]),
            'L' if count == 3 => text(out, data.standalone_months_short[month]),
            'M' | 'L' => number(out, i64::from(self.date.month()), count, locale),
            'd' => number(out, i64::from(self.date.day()), count, locale),
            'E' if count >= 4 => text(out, data.weekdays_long[weekday]),
            'E' => text(out, data.weekdays_short[weekday]),
            'u' => number(
                out,
                i64::from(self.date.weekday().number_from_monday()),
                count,
                locale,
            ),
            'a' => text(
                out,
                data.am_pm[usize::from(self.hour >= 12) + if count >= 4 { 2 } else { 0 }],
            ),
            'H' => number(out, i64::from(self.hour), count, locale),
            'k' => number(
                out,
                i64::from(if self.hour == 0 { 24 } else { self.hour }),
                count,
                locale,
            ),
            'K' => number(out, i64::from(self.hour % 12), count, locale),
            'h' => number(
                out,
                i64::from(if self.hour.is_multiple_of(12) {
                    12
                } else {
                    self.hour % 12
                }),
                count,
                locale,
            ),
            'm' => number(out, i64::from(self.minute), count, locale),
            's' => number(out, i64::from(self.second), count, locale),
            'S' => number(out, i64::from(self.millis), count, locale),
            'D' => number(out, i64::from(self.date.ordinal()), count, locale),
            'F' => number(out, i64::from((self.date.day() - 1) / 7 + 1), count, locale),
            'w' => number(out, self.week_of_year, count, locale),
            'W' => number(out, self.week_of_month, count, locale),
            'Z' => out.push_str(&offset(self.offset_seconds, false, true)),
            'X' => match count {
                1 if self.offset_seconds == 0 => out.push('Z'),
                1 => out.push_str(&offset(self.offset_seconds, false, false)[..3]),
                2 | 3 if self.offset_seconds == 0 => out.push('Z'),
                2 => out.push_str(&offset(self.offset_seconds, false, true)),
                3 => out.push_str(&offset(self.offset_seconds, true, true)),
                _ => {
                    return Err(DateFormatError::Invalid(
                        "invalid ISO 8601 format: length=4".to_owned(),
                    ));
                }
            },
            _ => {
                return Err(DateFormatError::Unsupported(
                    "time zone names (date pattern letter 'z', used by the long and full styles)"
                        .to_owned(),
                ));
            }
        }
        Ok(())
    }
}

/// `+HHMM` or `+HH:MM`.
fn offset(seconds: i32, colon: bool, minutes: bool) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let total_minutes = seconds.unsigned_abs() / 60;
    let (h, m) = (total_minutes / 60, total_minutes % 60);
    match (minutes, colon) {
        (false, _) => format!("{sign}{h:02}"),
        (true, true) => format!("{sign}{h:02}:{m:02}"),
        (true, false) => format!("{sign}{h:02}{m:02}"),
    }
}

fn year(out: &mut String, value: i64, count: usize, locale: &Locale) {
    if count == 2 {
        number(out, value.rem_euclid(100), 2, locale);
    } else {
        number(out, value, count, locale);
    }
}

/// A zero-padded number in the locale's digits.
fn number(out: &mut String, value: i64, min_digits: usize, locale: &Locale) {
    let zero = locale.data().zero_digit as u32;
    let digits = value.unsigned_abs().to_string();
    if value < 0 {
        out.push('-');
    }
    for _ in digits.len()..min_digits {
        out.push(char::from_u32(zero).unwrap_or('0'));
    }
    for d in digits.bytes() {
        out.push(char::from_u32(zero + u32::from(d - b'0')).unwrap_or('?'));
    }
}

/// The latest day on or before `fixed` that falls on `day_of_week` (1 = Sunday), in days since
/// the start of the common era (day 1 = Monday, 1 January 1).
fn day_of_week_on_or_before(fixed: i64, day_of_week: i64) -> i64 {
    let fd = fixed - (day_of_week - 1);
    fixed - fd.rem_euclid(7)
}

/// Java's `GregorianCalendar.getWeekNumber`: the week of `fixed` in the period starting at `first`.
fn week_number(first: i64, fixed: i64, first_day: i64, minimal_days: i64) -> i64 {
    let mut week1 = day_of_week_on_or_before(first + 6, first_day);
    if week1 - first >= minimal_days {
        week1 -= 7;
    }
    (fixed - week1).div_euclid(7) + 1
}

/// The default (MEDIUM) pattern for a value of `kind`.
#[cfg(test)]
fn default_pattern(kind: DateKind, locale: &Locale) -> Result<String, DateFormatError> {
    resolve_pattern("", kind, locale)
}

/// An instant built from a time zone's local fields (for tests and callers building models).
#[cfg(test)]
pub(super) fn local(zone: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    use chrono::TimeZone;
    zone.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Berlin;

    fn f(pattern: &str, at: DateTime<Utc>, locale: &str) -> String {
        format(pattern, at, Berlin, &Locale::parse(locale)).unwrap()
    }

    fn medium(locale: &str, at: DateTime<Utc>) -> String {
        let l = Locale::parse(locale);
        format(
            &default_pattern(DateKind::DateTime, &l).unwrap(),
            at,
            Berlin,
            &l,
        )
        .unwrap()
    }

    #[test]
    fn medium_date_time_per_locale() {
        let at = local(Berlin, 2026, 11, 28, 12, 57, 32);
        assert_eq!(medium("en", at), "Nov 28, 2026, 12:57:32 PM");
        assert_eq!(medium("de", at), "28.11.2026, 12:57:32");
        assert_eq!(medium("ja", at), "2026/11/28 12:57:32");
        assert_eq!(medium("fr", at), "28 nov. 2026, 12:57:32");
        assert_eq!(medium("ru", at), "28 нояб. 2026 г., 12:57:32");
        assert_eq!(medium("zh_CN", at), "2026年11月28日 下午12:57:32");
        assert_eq!(medium("pt_BR", at), "28 de nov. de 2026 12:57:32");
    }

    #[test]
    fn patterns() {
        let at = local(Berlin, 2026, 7, 5, 0, 7, 9) + chrono::Duration::milliseconds(42);
        assert_eq!(
            f("yyyy-MM-dd HH:mm:ss.SSS", at, "en"),
            "2026-07-05 00:07:09.042"
        );
        assert_eq!(f("yy y yyyyy", at, "en"), "26 2026 02026");
        assert_eq!(
            f("EEEE EEE MMMM MMM LLLL", at, "de"),
            "Sonntag So. Juli Juli Juli"
        );
        assert_eq!(f("h K k a", at, "en"), "12 0 24 AM");
        assert_eq!(f("Z X XX XXX", at, "en"), "+0200 +02 +0200 +02:00");
        assert_eq!(f("'at' '''o''clock''' G", at, "en"), "at 'o'clock' AD");
        assert_eq!(f("D F u", at, "en"), "186 1 7");
        assert!(matches!(
            format("q", at, Berlin, &Locale::parse("en")),
            Err(DateFormatError::Invalid(_))
        ));
        assert!(matches!(
            format("'x", at, Berlin, &Locale::parse("en")),
            Err(DateFormatError::Invalid(_))
        ));
        assert!(matches!(
            format("z", at, Berlin, &Locale::parse("en")),
            Err(DateFormatError::Unsupported(_))
        ));
    }

    #[test]
    fn zones_move_the_local_fields() {
        let at = local(Berlin, 2026, 1, 1, 0, 30, 0);
        assert_eq!(
            format(
                "yyyy-MM-dd HH:mm Z",
                at,
                chrono_tz::UTC,
                &Locale::parse("en")
            )
            .unwrap(),
            "2025-12-31 23:30 +0000"
        );
        assert_eq!(
            format("HH:mm X", at, chrono_tz::UTC, &Locale::parse("en")).unwrap(),
            "23:30 Z"
        );
        assert_eq!(
            format(
                "HH:mm XXX",
                at,
                chrono_tz::Asia::Kolkata,
                &Locale::parse("en")
            )
            .unwrap(),
            "05:00 +05:30"
        );
    }

    #[test]
    fn weeks_follow_the_locale() {
        // 2027-01-01 is a Friday: in en (Sunday, 1 day) it is week 1 of 2027; in en_GB (Monday,
        // 4 days) it belongs to week 53 of 2026.
        let at = local(Berlin, 2027, 1, 1, 12, 0, 0);
        assert_eq!(f("w Y", at, "en"), "1 2027");
        assert_eq!(f("w Y", at, "en_GB"), "53 2026");
        let at = local(Berlin, 2026, 12, 29, 12, 0, 0);
        assert_eq!(f("w Y W", at, "en"), "1 2027 5");
    }

    #[test]
    fn style_resolution() {
        let en = Locale::parse("en");
        assert_eq!(
            resolve_pattern("short", DateKind::Date, &en).unwrap(),
            "M/d/yy"
        );
        assert_eq!(
            resolve_pattern("short_medium", DateKind::DateTime, &en).unwrap(),
            "M/d/yy, h:mm:ss a"
        );
        assert_eq!(
            resolve_pattern("short_x", DateKind::Time, &en).unwrap(),
            "h:mm a"
        );
        assert_eq!(
            resolve_pattern("dd.MM.", DateKind::Unknown, &en).unwrap(),
            "dd.MM."
        );
        assert_eq!(
            resolve_pattern("short", DateKind::Unknown, &en),
            Err(DateFormatError::UnknownKind)
        );
        assert!(matches!(
            resolve_pattern("iso", DateKind::DateTime, &en),
            Err(DateFormatError::Unsupported(_))
        ));
    }
}
