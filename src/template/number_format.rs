//! Number formatting as Java's `DecimalFormat` does it for FreeMarker.
//!
//! Alfresco sets no `number_format`, so FreeMarker prints numbers with
//! `NumberFormat.getNumberInstance(locale)`: the pattern `#,##0.###` with the locale's symbols,
//! rounding half-even. Rounding starts from the digits Java itself produces — `BigDecimal.toString`
//! for decimals, `Double.toString` for doubles (plus whether those digits are exact or were rounded)
//! — which reproduces Java's results even where they differ from rounding the exact binary value.

use super::locale::LocaleData;
use super::number::{ExactDigits, JavaDouble, Number};

/// The symbols a pattern is printed with.
#[derive(Debug, Clone, Copy)]
pub(super) struct Symbols<'a> {
    zero: char,
    decimal: char,
    grouping: char,
    /// The minus text: prefixed to negative numbers when the pattern has no negative part.
    minus: &'a str,
    percent: char,
    per_mille: char,
    nan: &'a str,
    infinity: &'a str,
}

impl<'a> Symbols<'a> {
    /// The symbols of a locale.
    pub(super) fn of(data: &'a LocaleData) -> Self {
        Symbols {
            zero: data.zero_digit,
            decimal: data.decimal_separator,
            grouping: data.grouping_separator,
            minus: data.negative_prefix,
            percent: data.percent,
            per_mille: data.per_mille,
            nan: data.nan,
            infinity: data.infinity,
        }
    }

    /// `DecimalFormatSymbols(Locale.US)`, used by `?c`.
    pub(super) fn computer() -> Symbols<'static> {
        Symbols {
            zero: '0',
            decimal: '.',
            grouping: ',',
            minus: "-",
            percent: '%',
            per_mille: '\u{2030}',
            nan: "NaN",
            infinity: "\u{221e}",
        }
    }
}

/// A parsed `DecimalFormat` pattern (without exponent or currency parts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DecimalPattern {
    positive_prefix: String,
    positive_suffix: String,
    negative_prefix: String,
    negative_suffix: String,
    min_int: usize,
    min_frac: usize,
    max_frac: usize,
    /// Digits per group; 0 when grouping is off.
    grouping: usize,
    multiplier: u32,
    decimal_always_shown: bool,
}

impl DecimalPattern {
    /// The locale's default number format (`#,##0.###`).
    pub(super) fn number(symbols: &Symbols<'_>) -> Self {
        DecimalPattern {
            positive_prefix: String::new(),
            positive_suffix: String::new(),
            negative_prefix: symbols.minus.to_owned(),
            negative_suffix: String::new(),
            min_int: 1,
            min_frac: 0,
            max_frac: 3,
            grouping: 3,
            multiplier: 1,
            decimal_always_shown: false,
        }
    }

    /// The locale's percent format (`#,##0%` and its localized affixes).
    pub(super) fn percent(data: &LocaleData) -> Self {
        let [pp, ps, np, ns] = data.percent_affixes;
        DecimalPattern {
            positive_prefix: pp.to_owned(),
            positive_suffix: ps.to_owned(),
            negative_prefix: np.to_owned(),
            negative_suffix: ns.to_owned(),
            min_int: 1,
            min_frac: 0,
            max_frac: 0,
            grouping: 3,
            multiplier: 100,
            decimal_always_shown: false,
        }
    }

    /// The format of `?c` as FreeMarker 2.3.20 defines it: `0.################` without grouping.
    pub(super) fn computer() -> Self {
        DecimalPattern {
            positive_prefix: String::new(),
            positive_suffix: String::new(),
            negative_prefix: "-".to_owned(),
            negative_suffix: String::new(),
            min_int: 1,
            min_frac: 0,
            max_frac: 16,
            grouping: 0,
            multiplier: 1,
            decimal_always_shown: false,
        }
    }

    /// Parses a `java.text.DecimalFormat` pattern such as `0.00`, `#,##0.#` or `0.0%`, with
    /// Java's rules (a pattern without `0` before its decimal point gets one, so `#.##` is
    /// `0.##`; a negative subpattern only contributes its prefix and suffix).
    pub(super) fn parse(pattern: &str, symbols: &Symbols<'_>) -> Result<Self, String> {
        let malformed = |why: &str| format!("malformed number pattern \"{pattern}\": {why}");
        let chars: Vec<char> = pattern.chars().collect();
        let positive = parse_subpattern(&chars, 0, true, symbols).map_err(|e| malformed(&e))?;
        let mut result = positive.number;
        result.positive_prefix = positive.prefix.clone();
        result.positive_suffix = positive.suffix.clone();
        let negative = match positive.next {
            Some(start) => {
                Some(parse_subpattern(&chars, start, false, symbols).map_err(|e| malformed(&e))?)
            }
            None => None,
        };
        match negative {
            Some(neg) if (neg.prefix != positive.prefix || neg.suffix != positive.suffix) => {
                result.negative_prefix = neg.prefix;
                result.negative_suffix = neg.suffix;
            }
            _ => {
                result.negative_prefix = format!("{}{}", symbols.minus, positive.prefix);
                result.negative_suffix = positive.suffix;
            }
        }
        Ok(result)
    }

    /// Formats a number with this pattern.
    pub(super) fn format(&self, number: Number, symbols: &Symbols<'_>) -> String {
        let (negative, digits) = match number {
            Number::Double(d) => {
                if d.is_nan() {
                    return symbols.nan.to_owned();
                }
                let negative = d < 0.0 || (d == 0.0 && d.is_sign_negative());
                let d = d.abs() * f64::from(self.multiplier);
                if d.is_infinite() {
                    return self.affixed(negative, symbols.infinity);
                }
                let double = JavaDouble::new(d);
                let (rounded_up, exact) = double.conversion_flags();
                (
                    negative,
                    DigitList::fixed(double.java_digits(), rounded_up, exact, self.max_frac),
                )
            }
            Number::Decimal(dec) => {
                let negative = dec.unscaled() < 0;
                let mut digits = dec.digits();
                digits.point += multiplier_shift(self.multiplier);
                (
                    negative,
                    DigitList::fixed(digits, false, true, self.max_frac),
                )
            }
            Number::Integer(n) => {
                let mut digits =
                    ExactDigits::new(n < 0, n.unsigned_abs().to_string().into_bytes(), 0);
                digits.point = digits.digits.len() as i64 + multiplier_shift(self.multiplier);
                (n < 0, DigitList::whole(digits))
            }
        };
        let body = self.body(&digits, symbols);
        self.affixed(negative, &body)
    }

    fn affixed(&self, negative: bool, body: &str) -> String {
        if negative {
            format!("{}{body}{}", self.negative_prefix, self.negative_suffix)
        } else {
            format!("{}{body}{}", self.positive_prefix, self.positive_suffix)
        }
    }

    /// The digits, grouping and decimal separator (Java's `subformatNumber`, fixed-point branch).
    fn body(&self, list: &DigitList, symbols: &Symbols<'_>) -> String {
        let digit =
            |d: u8| char::from_u32(symbols.zero as u32 + u32::from(d - b'0')).unwrap_or('?');
        let mut out = String::new();
        let count = list.digits.len();
        let int_count = if list.decimal_at > 0 {
            (list.decimal_at as usize).max(self.min_int)
        } else {
            self.min_int
        };
        let mut index = 0;
        for i in (0..int_count).rev() {
            if (i as i64) < list.decimal_at && index < count {
                out.push(digit(list.digits[index]));
                index += 1;
            } else {
                out.push(symbols.zero);
            }
            if self.grouping > 0 && i > 0 && i % self.grouping == 0 {
                out.push(symbols.grouping);
            }
        }
        let fraction_present = self.min_frac > 0 || index < count;
        if !fraction_present && out.is_empty() {
            out.push(symbols.zero);
        }
        if self.decimal_always_shown || fraction_present {
            out.push(symbols.decimal);
        }
        for i in 0..self.max_frac {
            if i >= self.min_frac && index >= count {
                break;
            }
            if -1 - (i as i64) > list.decimal_at - 1 {
                out.push(symbols.zero);
                continue;
            }
            if index < count {
                out.push(digit(list.digits[index]));
                index += 1;
            } else {
                out.push(symbols.zero);
            }
        }
        out
    }
}

/// How far a multiplier of 1, 100 or 1000 moves the decimal point.
fn multiplier_shift(multiplier: u32) -> i64 {
    match multiplier {
        100 => 2,
        1000 => 3,
        _ => 0,
    }
}

/// Digits ready for printing: `0.d1d2… × 10^decimal_at`, rounded (Java's `DigitList`).
struct DigitList {
    digits: Vec<u8>,
    decimal_at: i64,
}

impl DigitList {
    /// A whole number: no rounding, trailing zeros dropped.
    fn whole(value: ExactDigits) -> Self {
        let mut digits = value.digits;
        while digits.len() > 1 && digits.last() == Some(&b'0') {
            digits.pop();
        }
        if digits == b"0" {
            digits.clear();
        }
        DigitList {
            digits,
            decimal_at: value.point,
        }
    }

    /// Java's `DigitList.set(..., fixedPoint = true)`: rounds half-even to `max_frac` fraction
    /// digits. `rounded_up`/`exact` tell how the digits relate to the value (see `JavaDouble`).
    fn fixed(value: ExactDigits, rounded_up: bool, exact: bool, max_frac: usize) -> Self {
        let mut list = DigitList {
            digits: value.digits,
            decimal_at: value.point,
        };
        let max_frac = max_frac as i64;
        if list.digits.is_empty() {
            return list;
        }
        if -list.decimal_at > max_frac {
            list.digits.clear();
            return list;
        }
        if -list.decimal_at == max_frac {
            if list.should_round_up(0, rounded_up, exact) {
                list.digits = vec![b'1'];
                list.decimal_at += 1;
            } else {
                list.digits.clear();
            }
            return list;
        }
        while list.digits.len() > 1 && list.digits.last() == Some(&b'0') {
            list.digits.pop();
        }
        list.round(max_frac + list.decimal_at, rounded_up, exact);
        list
    }

    fn round(&mut self, max_digits: i64, rounded_up: bool, exact: bool) {
        if max_digits < 0 || max_digits as usize >= self.digits.len() {
            return;
        }
        let mut keep = max_digits as usize;
        if self.should_round_up(keep, rounded_up, exact) {
            loop {
                if keep == 0 {
                    // All nines: the value becomes a one in the next position.
                    self.digits[0] = b'1';
                    self.decimal_at += 1;
                    keep = 1;
                    break;
                }
                keep -= 1;
                if self.digits[keep] < b'9' {
                    self.digits[keep] += 1;
                    keep += 1;
                    break;
                }
            }
        }
        self.digits.truncate(keep);
        while self.digits.len() > 1 && self.digits.last() == Some(&b'0') {
            self.digits.pop();
        }
    }

    /// Java's `DigitList.shouldRoundUp` for `HALF_EVEN`.
    fn should_round_up(&self, at: usize, rounded_up: bool, exact: bool) -> bool {
        let Some(&d) = self.digits.get(at) else {
            return false;
        };
        if d > b'5' {
            return true;
        }
        if d < b'5' {
            return false;
        }
        if at == self.digits.len() - 1 {
            if rounded_up {
                return false;
            }
            if !exact {
                return true;
            }
            return at > 0 && !(self.digits[at - 1] - b'0').is_multiple_of(2);
        }
        self.digits[at + 1..].iter().any(|&d| d != b'0')
    }
}

struct Subpattern {
    prefix: String,
    suffix: String,
    number: DecimalPattern,
    /// Where the negative subpattern starts, after `;`.
    next: Option<usize>,
}

/// One subpattern from `start`: prefix, number part, suffix (Java's `applyPattern` phases).
fn parse_subpattern(
    chars: &[char],
    start: usize,
    positive: bool,
    symbols: &Symbols<'_>,
) -> Result<Subpattern, String> {
    let (mut prefix, mut suffix) = (String::new(), String::new());
    let mut in_suffix = false;
    let mut in_number = false;
    let mut in_quote = false;
    let (mut digit_left, mut zero_digits, mut digit_right) = (0usize, 0usize, 0usize);
    let mut grouping_count: i32 = -1;
    let mut decimal_pos: Option<usize> = None;
    let mut multiplier = 1;
    let mut next = None;
    let mut pos = start;
    while pos < chars.len() {
        let ch = chars[pos];
        if in_number {
            if !positive {
                // The negative subpattern's number part is ignored.
                if matches!(ch, '#' | '0' | ',' | '.') {
                    pos += 1;
                    continue;
                }
                if ch == 'E' {
                    return Err("scientific notation is not supported".to_owned());
                }
                in_number = false;
                in_suffix = true;
                continue;
            }
            match ch {
                '#' => {
                    if zero_digits > 0 {
                        digit_right += 1
                    } else {
                        digit_left += 1
                    }
                    if grouping_count >= 0 && decimal_pos.is_none() {
                        grouping_count += 1;
                    }
                }
                '0' => {
                    if digit_right > 0 {
                        return Err("unexpected '0'".to_owned());
                    }
                    zero_digits += 1;
                    if grouping_count >= 0 && decimal_pos.is_none() {
                        grouping_count += 1;
                    }
                }
                ',' => grouping_count = 0,
                '.' => {
                    if decimal_pos.is_some() {
                        return Err("multiple decimal separators".to_owned());
                    }
                    decimal_pos = Some(digit_left + zero_digits + digit_right);
                }
                'E' => return Err("scientific notation is not supported".to_owned()),
                _ => {
                    in_number = false;
                    in_suffix = true;
                    continue;
                }
            }
            pos += 1;
            continue;
        }
        let affix = if in_suffix { &mut suffix } else { &mut prefix };
        if in_quote {
            if ch == '\'' {
                if chars.get(pos + 1) == Some(&'\'') {
                    pos += 1;
                    affix.push('\'');
                } else {
                    in_quote = false;
                }
            } else {
                affix.push(ch);
            }
            pos += 1;
            continue;
        }
        match ch {
            '#' | '0' | ',' | '.' => {
                in_number = true;
                continue;
            }
            '\u{a4}' => return Err("currency signs are not supported".to_owned()),
            '\'' => {
                if chars.get(pos + 1) == Some(&'\'') {
                    pos += 1;
                    affix.push('\'');
                } else {
                    in_quote = true;
                }
            }
            ';' => {
                if !in_suffix || !positive {
                    return Err("unquoted ';'".to_owned());
                }
                next = Some(pos + 1);
                break;
            }
            '%' | '\u{2030}' => {
                if multiplier != 1 {
                    return Err("too many percent or per mille characters".to_owned());
                }
                multiplier = if ch == '%' { 100 } else { 1000 };
                affix.push(if ch == '%' {
                    symbols.percent
                } else {
                    symbols.per_mille
                });
            }
            '-' => affix.push_str(symbols.minus),
            _ => affix.push(ch),
        }
        pos += 1;
    }
    if zero_digits == 0
        && digit_left > 0
        && let Some(decimal) = decimal_pos
    {
        // "#.##" is read as "0.##", ".##" as "0.#".
        let n = decimal.max(1);
        digit_right = digit_left - n;
        digit_left = n - 1;
        zero_digits = 1;
    }
    let malformed = match decimal_pos {
        None => digit_right > 0,
        Some(d) => d < digit_left || d > digit_left + zero_digits,
    };
    if positive && (malformed || grouping_count == 0) || in_quote {
        return Err(
            "misplaced digit, grouping or decimal character, or an unterminated quote".to_owned(),
        );
    }
    let total = digit_left + zero_digits + digit_right;
    let effective_decimal = decimal_pos.unwrap_or(total);
    let number = DecimalPattern {
        positive_prefix: String::new(),
        positive_suffix: String::new(),
        negative_prefix: String::new(),
        negative_suffix: String::new(),
        min_int: effective_decimal - digit_left,
        min_frac: decimal_pos.map_or(0, |d| (digit_left + zero_digits).saturating_sub(d)),
        max_frac: decimal_pos.map_or(0, |d| total - d),
        grouping: usize::try_from(grouping_count).unwrap_or(0),
        multiplier,
        decimal_always_shown: decimal_pos.is_some_and(|d| d == 0 || d == total),
    };
    Ok(Subpattern {
        prefix,
        suffix,
        number,
        next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::locale::Locale;
    use crate::template::number::Decimal;

    fn fmt(locale: &str, n: Number) -> String {
        let data = Locale::parse(locale).data();
        let symbols = Symbols::of(data);
        DecimalPattern::number(&symbols).format(n, &symbols)
    }

    fn pat(pattern: &str, n: Number) -> String {
        let data = Locale::parse("en").data();
        let symbols = Symbols::of(data);
        DecimalPattern::parse(pattern, &symbols)
            .unwrap()
            .format(n, &symbols)
    }

    fn dec(s: &str) -> Number {
        Number::Decimal(s.parse::<Decimal>().unwrap())
    }

    #[test]
    fn default_format_groups_and_rounds_half_even() {
        assert_eq!(fmt("en", Number::Integer(1234567)), "1,234,567");
        assert_eq!(fmt("en", dec("12.055664062500")), "12.056");
        assert_eq!(fmt("en", dec("1.0625")), "1.062");
        assert_eq!(fmt("en", dec("1.0635")), "1.064");
        assert_eq!(fmt("en", dec("0.0005")), "0");
        assert_eq!(fmt("en", dec("0.0015")), "0.002");
        assert_eq!(fmt("en", dec("0.9996")), "1");
        assert_eq!(fmt("en", dec("-0.0001")), "-0");
        assert_eq!(fmt("en", Number::Integer(0)), "0");
        assert_eq!(
            fmt("en", Number::Integer(i64::MIN)),
            "-9,223,372,036,854,775,808"
        );
    }

    #[test]
    fn doubles_round_like_java() {
        // Java prints 0 for 0.0005 (its digits "5.0E-4" end in a zero) and 1 for 1.0005.
        assert_eq!(fmt("en", Number::Double(0.0005)), "0");
        assert_eq!(fmt("en", Number::Double(1.0005)), "1");
        assert_eq!(fmt("en", Number::Double(0.0625)), "0.062");
        assert_eq!(
            fmt("en", Number::Double(1e20)),
            "100,000,000,000,000,000,000"
        );
        assert_eq!(fmt("en", Number::Double(-0.0)), "-0");
        assert_eq!(fmt("en", Number::Double(f64::NAN)), "NaN");
        assert_eq!(fmt("en", Number::Double(f64::NEG_INFINITY)), "-\u{221e}");
    }

    #[test]
    fn locale_symbols() {
        assert_eq!(fmt("de", dec("-1234.5")), "-1.234,5");
        assert_eq!(fmt("fr", dec("1234.5")), "1\u{202f}234,5");
        assert_eq!(fmt("ru", dec("1234.5")), "1\u{a0}234,5");
        assert_eq!(fmt("nb", dec("-1234.5")), "\u{2212}1\u{a0}234,5");
        assert_eq!(fmt("de_CH", dec("1234.5")), "1\u{2019}234.5");
        assert_eq!(fmt("ja", dec("1234.5")), "1,234.5");
    }

    #[test]
    fn custom_patterns() {
        assert_eq!(pat("0.00", dec("3.14159")), "3.14");
        assert_eq!(pat("0.00", Number::Integer(3)), "3.00");
        assert_eq!(pat("#.##", dec("0.0625")), "0.06");
        assert_eq!(pat(".##", dec("0.25")), ".25");
        assert_eq!(pat("#,##0.00;#,##0.00", Number::Integer(-5)), "-5.00");
        assert_eq!(pat("#", Number::Integer(0)), "0");
        assert_eq!(pat("000", Number::Integer(7)), "007");
        assert_eq!(pat("#,##0.0#", dec("1234.5")), "1,234.5");
        assert_eq!(pat("0.#%", dec("0.125")), "12.5%");
        assert_eq!(pat("'#'0", Number::Integer(5)), "#5");
        assert_eq!(pat("0;(0)", Number::Integer(-5)), "(5)");
        assert_eq!(pat("0.", Number::Integer(5)), "5.");
        assert!(DecimalPattern::parse("0.0E0", &Symbols::computer()).is_err());
        assert!(DecimalPattern::parse("\u{a4}0", &Symbols::computer()).is_err());
    }

    #[test]
    fn computer_format() {
        let c = |n| DecimalPattern::computer().format(n, &Symbols::computer());
        assert_eq!(c(dec("12.055664062500")), "12.0556640625");
        assert_eq!(c(dec("0.333333333333")), "0.333333333333");
        assert_eq!(c(Number::Double(1e20)), "100000000000000000000");
        assert_eq!(c(Number::Double(1.0005)), "1.0005");
    }
}
