//! Numbers and the arithmetic Alfresco's FreeMarker applies to them.
//!
//! FreeMarker's default arithmetic engine converts every operand to a `java.math.BigDecimal`: whole
//! numbers exactly, doubles through `Double.toString`. Addition, subtraction and comparison are
//! exact; a product keeps at most 12 fraction digits; a quotient has `max(12, scale of either
//! operand)` fraction digits, rounded half-up; `%` works on the truncated `long` values. We keep the
//! same semantics with a 128-bit unscaled value; results that do not fit are an error, never a
//! wrong number.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A number in the data model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// A whole number (Java `Long`), such as a content size.
    Integer(i64),
    /// An exact decimal (Java `BigDecimal`), as produced by template arithmetic and literals.
    Decimal(Decimal),
    /// A binary floating-point number (Java `Double`), such as a `d:double` property.
    Double(f64),
}

/// An exact decimal number: `unscaled × 10^-scale`, like Java's `BigDecimal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    unscaled: i128,
    scale: u32,
}

/// Why an arithmetic operation has no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ArithmeticError {
    /// The result does not fit the 128-bit representation.
    Overflow,
    /// Division or remainder by zero.
    DivisionByZero,
    /// An infinite or NaN double cannot take part in exact arithmetic.
    NotFinite,
}

impl fmt::Display for ArithmeticError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ArithmeticError::Overflow => "the result of the arithmetic is too large",
            ArithmeticError::DivisionByZero => "division by zero",
            ArithmeticError::NotFinite => "infinite or NaN numbers cannot take part in arithmetic",
        })
    }
}

/// The minimal number of fraction digits of a quotient and the maximal of a product.
const SCALE_LIMIT: u32 = 12;

impl Decimal {
    /// `unscaled × 10^-scale`.
    pub fn new(unscaled: i128, scale: u32) -> Self {
        Decimal { unscaled, scale }
    }

    /// The unscaled value.
    pub fn unscaled(&self) -> i128 {
        self.unscaled
    }

    /// The number of fraction digits.
    pub fn scale(&self) -> u32 {
        self.scale
    }

    fn from_i64(n: i64) -> Self {
        Decimal::new(i128::from(n), 0)
    }

    /// This value with `scale` fraction digits (`scale >= self.scale`).
    fn rescaled(self, scale: u32) -> Result<Decimal, ArithmeticError> {
        let factor = pow10(scale - self.scale)?;
        let unscaled = self
            .unscaled
            .checked_mul(factor)
            .ok_or(ArithmeticError::Overflow)?;
        Ok(Decimal::new(unscaled, scale))
    }

    /// Both values brought to the larger scale.
    fn aligned(self, other: Decimal) -> Result<(i128, i128, u32), ArithmeticError> {
        let scale = self.scale.max(other.scale);
        Ok((
            self.rescaled(scale)?.unscaled,
            other.rescaled(scale)?.unscaled,
            scale,
        ))
    }

    fn checked_add(self, other: Decimal) -> Result<Decimal, ArithmeticError> {
        let (a, b, scale) = self.aligned(other)?;
        Ok(Decimal::new(
            a.checked_add(b).ok_or(ArithmeticError::Overflow)?,
            scale,
        ))
    }

    fn checked_sub(self, other: Decimal) -> Result<Decimal, ArithmeticError> {
        let (a, b, scale) = self.aligned(other)?;
        Ok(Decimal::new(
            a.checked_sub(b).ok_or(ArithmeticError::Overflow)?,
            scale,
        ))
    }

    fn checked_mul(self, other: Decimal) -> Result<Decimal, ArithmeticError> {
        let unscaled = self
            .unscaled
            .checked_mul(other.unscaled)
            .ok_or(ArithmeticError::Overflow)?;
        let scale = self
            .scale
            .checked_add(other.scale)
            .ok_or(ArithmeticError::Overflow)?;
        let product = Decimal::new(unscaled, scale);
        if scale > SCALE_LIMIT {
            let divisor = pow10(scale - SCALE_LIMIT)?;
            Ok(Decimal::new(
                div_half_up(product.unscaled, divisor),
                SCALE_LIMIT,
            ))
        } else {
            Ok(product)
        }
    }

    fn checked_div(self, other: Decimal) -> Result<Decimal, ArithmeticError> {
        if other.unscaled == 0 {
            return Err(ArithmeticError::DivisionByZero);
        }
        let scale = self.scale.max(other.scale).max(SCALE_LIMIT);
        // self/other × 10^scale = self.unscaled × 10^(scale + other.scale - self.scale) / other.unscaled
        let exponent = (scale - self.scale)
            .checked_add(other.scale)
            .ok_or(ArithmeticError::Overflow)?;
        let numerator = self
            .unscaled
            .checked_mul(pow10(exponent)?)
            .ok_or(ArithmeticError::Overflow)?;
        Ok(Decimal::new(div_half_up(numerator, other.unscaled), scale))
    }

    /// The value truncated towards zero, as Java's `BigDecimal.longValue` for values that fit.
    fn truncated(self) -> Result<i64, ArithmeticError> {
        let divisor = pow10(self.scale)?;
        i64::try_from(self.unscaled / divisor).map_err(|_| ArithmeticError::Overflow)
    }

    /// The exact digits of this value.
    pub(super) fn digits(self) -> ExactDigits {
        let digits = self.unscaled.unsigned_abs().to_string().into_bytes();
        let point = digits.len() as i64 - i64::from(self.scale);
        ExactDigits::new(self.unscaled < 0, digits, point)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.unscaled.unsigned_abs().to_string();
        let sign = if self.unscaled < 0 { "-" } else { "" };
        let scale = self.scale as usize;
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
    }
}

impl FromStr for Decimal {
    type Err = ();

    /// Parses `[+-]digits[.digits][(e|E)[+-]digits]`, as `new BigDecimal(String)` does.
    fn from_str(s: &str) -> Result<Self, ()> {
        let (mantissa, exponent) = match s.find(['e', 'E']) {
            Some(i) => (&s[..i], s[i + 1..].parse::<i64>().map_err(|_| ())?),
            None => (s, 0),
        };
        let (negative, mantissa) = match mantissa.as_bytes().first() {
            Some(b'-') => (true, &mantissa[1..]),
            Some(b'+') => (false, &mantissa[1..]),
            _ => (false, mantissa),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int.is_empty() && frac.is_empty()
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return Err(());
        }
        let mut unscaled: i128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            unscaled = unscaled
                .checked_mul(10)
                .and_then(|u| u.checked_add(i128::from(b - b'0')))
                .ok_or(())?;
        }
        let scale = frac.len() as i64 - exponent;
        let decimal = if scale >= 0 {
            Decimal::new(unscaled, u32::try_from(scale).map_err(|_| ())?)
        } else {
            let factor = pow10(u32::try_from(-scale).map_err(|_| ())?).map_err(|_| ())?;
            Decimal::new(unscaled.checked_mul(factor).ok_or(())?, 0)
        };
        Ok(if negative {
            Decimal::new(-decimal.unscaled, decimal.scale)
        } else {
            decimal
        })
    }
}

fn pow10(exponent: u32) -> Result<i128, ArithmeticError> {
    10i128
        .checked_pow(exponent)
        .ok_or(ArithmeticError::Overflow)
}

/// `numerator / divisor` rounded half away from zero (Java's `ROUND_HALF_UP`).
fn div_half_up(numerator: i128, divisor: i128) -> i128 {
    let quotient = numerator / divisor;
    let remainder = numerator % divisor;
    if remainder.unsigned_abs() >= divisor.unsigned_abs() - remainder.unsigned_abs() {
        if (numerator < 0) == (divisor < 0) {
            quotient + 1
        } else {
            quotient - 1
        }
    } else {
        quotient
    }
}

impl Number {
    /// The operand as FreeMarker's BigDecimal engine sees it.
    fn to_decimal(self) -> Result<Decimal, ArithmeticError> {
        match self {
            Number::Integer(n) => Ok(Decimal::from_i64(n)),
            Number::Decimal(d) => Ok(d),
            Number::Double(d) => {
                if !d.is_finite() {
                    return Err(ArithmeticError::NotFinite);
                }
                java_double_string(d)
                    .parse()
                    .map_err(|()| ArithmeticError::Overflow)
            }
        }
    }

    /// `self + other`.
    pub(super) fn add(self, other: Number) -> Result<Number, ArithmeticError> {
        Ok(Number::Decimal(
            self.to_decimal()?.checked_add(other.to_decimal()?)?,
        ))
    }

    /// `self - other`.
    pub(super) fn sub(self, other: Number) -> Result<Number, ArithmeticError> {
        Ok(Number::Decimal(
            self.to_decimal()?.checked_sub(other.to_decimal()?)?,
        ))
    }

    /// `self * other`.
    pub(super) fn mul(self, other: Number) -> Result<Number, ArithmeticError> {
        Ok(Number::Decimal(
            self.to_decimal()?.checked_mul(other.to_decimal()?)?,
        ))
    }

    /// `self / other`.
    pub(super) fn div(self, other: Number) -> Result<Number, ArithmeticError> {
        Ok(Number::Decimal(
            self.to_decimal()?.checked_div(other.to_decimal()?)?,
        ))
    }

    /// `self % other`: the remainder of the truncated whole values (Java `long %`).
    pub(super) fn rem(self, other: Number) -> Result<Number, ArithmeticError> {
        let (a, b) = (self.truncated()?, other.truncated()?);
        if b == 0 {
            return Err(ArithmeticError::DivisionByZero);
        }
        Ok(Number::Integer(a.wrapping_rem(b)))
    }

    /// `-self`, keeping the kind of number.
    pub(super) fn neg(self) -> Result<Number, ArithmeticError> {
        Ok(match self {
            Number::Integer(n) => match n.checked_neg() {
                Some(n) => Number::Integer(n),
                None => Number::Decimal(Decimal::new(-i128::from(n), 0)),
            },
            Number::Decimal(d) => Number::Decimal(Decimal::new(
                d.unscaled.checked_neg().ok_or(ArithmeticError::Overflow)?,
                d.scale,
            )),
            Number::Double(d) => Number::Double(-d),
        })
    }

    /// The value truncated to a whole number (as Java's `Number.longValue`), if it fits.
    pub(super) fn truncate(self) -> Option<i64> {
        self.truncated().ok()
    }

    fn truncated(self) -> Result<i64, ArithmeticError> {
        match self {
            Number::Integer(n) => Ok(n),
            Number::Decimal(d) => d.truncated(),
            // Java's (long) cast saturates and maps NaN to 0.
            Number::Double(d) => Ok(d as i64),
        }
    }

    /// -1, 0 or 1.
    fn signum(self) -> i32 {
        match self {
            Number::Integer(n) => n.signum() as i32,
            Number::Decimal(d) => d.unscaled.signum() as i32,
            Number::Double(d) if d > 0.0 => 1,
            Number::Double(d) if d < 0.0 => -1,
            Number::Double(_) => 0,
        }
    }

    /// Compares two numbers mathematically, as FreeMarker's BigDecimal engine does.
    pub(super) fn compare(self, other: Number) -> Result<Ordering, ArithmeticError> {
        if let (Number::Double(a), Number::Double(b)) = (self, other)
            && (a.is_nan() || b.is_nan())
        {
            // Java's Double.compareTo: NaN is greater than everything else.
            return Ok(a.is_nan().cmp(&b.is_nan()));
        }
        let (s1, s2) = (self.signum(), other.signum());
        if s1 != s2 || s1 == 0 {
            return Ok(s1.cmp(&s2));
        }
        match (self, other) {
            (Number::Integer(a), Number::Integer(b)) => Ok(a.cmp(&b)),
            (Number::Double(a), Number::Double(b)) => {
                Ok(a.partial_cmp(&b).unwrap_or(Ordering::Equal))
            }
            (Number::Double(a), _) if a.is_infinite() => Ok(if a > 0.0 {
                Ordering::Greater
            } else {
                Ordering::Less
            }),
            (_, Number::Double(b)) if b.is_infinite() => Ok(if b > 0.0 {
                Ordering::Less
            } else {
                Ordering::Greater
            }),
            _ => Ok(self.exact_digits()?.cmp_value(&other.exact_digits()?)),
        }
    }

    /// The digits FreeMarker's BigDecimal engine would see.
    fn exact_digits(self) -> Result<ExactDigits, ArithmeticError> {
        match self {
            Number::Double(d) if d.is_finite() => Ok(JavaDouble::new(d).java_digits()),
            other => Ok(other.to_decimal()?.digits()),
        }
    }
}

/// A decimal value as sign, significant digits and the position of the decimal point:
/// `0.d1d2d3… × 10^point`, like Java's `DigitList`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ExactDigits {
    pub(super) negative: bool,
    /// ASCII digits without leading zeros; may end in zeros.
    pub(super) digits: Vec<u8>,
    pub(super) point: i64,
}

impl ExactDigits {
    pub(super) fn new(negative: bool, digits: Vec<u8>, point: i64) -> Self {
        let leading = digits.iter().take_while(|&&d| d == b'0').count();
        let digits = digits[leading..].to_vec();
        let point = if digits.is_empty() {
            0
        } else {
            point - leading as i64
        };
        ExactDigits {
            negative,
            digits,
            point,
        }
    }

    fn trimmed(&self) -> &[u8] {
        let end = self
            .digits
            .iter()
            .rposition(|&d| d != b'0')
            .map_or(0, |i| i + 1);
        &self.digits[..end]
    }

    /// Compares the values (not the representations).
    fn cmp_value(&self, other: &ExactDigits) -> Ordering {
        let (a, b) = (self.trimmed(), other.trimmed());
        let magnitude = match (a.is_empty(), b.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => self.point.cmp(&other.point).then_with(|| a.cmp(b)),
        };
        let sign = |d: &ExactDigits, empty: bool| {
            if empty {
                0
            } else if d.negative {
                -1
            } else {
                1
            }
        };
        let (sa, sb) = (sign(self, a.is_empty()), sign(other, b.is_empty()));
        if sa != sb {
            return sa.cmp(&sb);
        }
        if sa < 0 {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

/// A finite double as Java's `Double.toString` and `DecimalFormat` see it.
pub(super) struct JavaDouble {
    value: f64,
    /// Shortest round-trip digits (at least two in Java's exponent form) and the point position.
    digits: Vec<u8>,
    point: i64,
}

impl JavaDouble {
    pub(super) fn new(value: f64) -> Self {
        let abs = value.abs();
        if abs == 0.0 {
            return JavaDouble {
                value,
                digits: b"0".to_vec(),
                point: 1,
            };
        }
        // `{:e}` prints the shortest round-trip digits: d[.ddd]e<exp>.
        let formatted = format!("{abs:e}");
        let (mantissa, exp) = formatted.split_once('e').unwrap_or((&formatted, "0"));
        let exp: i64 = exp.parse().unwrap_or(0);
        let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
        let point = exp + 1;
        // Java's exponent form always shows one digit after the point.
        if !(-2..=7).contains(&point) && digits.len() == 1 {
            digits.push(b'0');
        }
        JavaDouble {
            value,
            digits,
            point,
        }
    }

    /// `Double.toString(abs(value))`.
    fn java_string(&self) -> String {
        let digits = std::str::from_utf8(&self.digits).unwrap_or("0");
        if self.value == 0.0 {
            return "0.0".to_owned();
        }
        let point = self.point;
        if (1..=7).contains(&point) {
            let p = point as usize;
            if digits.len() <= p {
                format!("{digits:0<p$}.0")
            } else {
                format!("{}.{}", &digits[..p], &digits[p..])
            }
        } else if (-2..=0).contains(&point) {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        } else {
            let rest = if digits.len() > 1 { &digits[1..] } else { "0" };
            format!("{}.{rest}E{}", &digits[..1], point - 1)
        }
    }

    /// The digits `DecimalFormat` starts from: those of `Double.toString`, trailing zeros included.
    pub(super) fn java_digits(&self) -> ExactDigits {
        let s = self.java_string();
        let (mantissa, exp) = match s.split_once('E') {
            Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
            None => (s.as_str(), 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let mut all: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
        let leading = all.iter().take_while(|&&d| d == b'0').count();
        all.drain(..leading);
        let point = int.len() as i64 - leading as i64 + exp;
        ExactDigits {
            negative: self.value < 0.0,
            digits: all,
            point,
        }
    }

    /// The exact binary value in decimal.
    pub(super) fn exact_value(&self) -> ExactDigits {
        // 800 significant digits are more than any double needs, so this is exact.
        let formatted = format!("{:.800e}", self.value.abs());
        let (mantissa, exp) = formatted.split_once('e').unwrap_or((&formatted, "0"));
        let exp: i64 = exp.parse().unwrap_or(0);
        let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
        let mut exact = ExactDigits::new(self.value < 0.0, digits, exp + 1);
        let end = exact
            .digits
            .iter()
            .rposition(|&d| d != b'0')
            .map_or(0, |i| i + 1);
        exact.digits.truncate(end);
        exact
    }

    /// How the shortest digits relate to the exact value: `(rounded_up, exact)` as Java's
    /// `FloatingDecimal` reports them to `DigitList`.
    pub(super) fn conversion_flags(&self) -> (bool, bool) {
        let shortest = ExactDigits::new(false, self.digits.clone(), self.point);
        let mut exact = self.exact_value();
        exact.negative = false;
        match shortest.cmp_value(&exact) {
            Ordering::Equal => (false, true),
            Ordering::Greater => (true, false),
            Ordering::Less => (false, false),
        }
    }
}

/// Java's `Double.toString(d)` for a finite double.
pub(super) fn java_double_string(d: f64) -> String {
    let s = JavaDouble::new(d).java_string();
    if d.is_sign_negative() && d != 0.0 {
        format!("-{s}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Number {
        Number::Decimal(s.parse().unwrap())
    }

    fn show(n: Number) -> String {
        match n {
            Number::Decimal(d) => d.to_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn division_keeps_twelve_fraction_digits_rounding_half_up() {
        assert_eq!(
            show(Number::Integer(12345).div(Number::Integer(1024)).unwrap()),
            "12.055664062500"
        );
        assert_eq!(show(dec("1").div(dec("3")).unwrap()), "0.333333333333");
        assert_eq!(show(dec("2").div(dec("3")).unwrap()), "0.666666666667");
        assert_eq!(show(dec("-2").div(dec("3")).unwrap()), "-0.666666666667");
        assert_eq!(
            show(dec("1.0000000000000").div(dec("3")).unwrap()),
            "0.3333333333333"
        );
        assert_eq!(
            Number::Integer(1).div(Number::Integer(0)),
            Err(ArithmeticError::DivisionByZero)
        );
    }

    #[test]
    fn products_are_limited_to_twelve_fraction_digits() {
        assert_eq!(show(dec("1.5").mul(dec("1.5")).unwrap()), "2.25");
        assert_eq!(
            show(dec("0.0000001").mul(dec("0.0000015")).unwrap()),
            "0.000000000000"
        );
        assert_eq!(
            show(dec("0.0000001").mul(dec("0.0000055")).unwrap()),
            "0.000000000001"
        );
    }

    #[test]
    fn remainder_uses_truncated_whole_values() {
        assert_eq!(
            dec("7.5").rem(Number::Integer(2)).unwrap(),
            Number::Integer(1)
        );
        assert_eq!(
            Number::Integer(-7).rem(Number::Integer(3)).unwrap(),
            Number::Integer(-1)
        );
        assert_eq!(
            Number::Integer(7).rem(dec("0.5")),
            Err(ArithmeticError::DivisionByZero)
        );
    }

    #[test]
    fn doubles_enter_arithmetic_through_java_double_to_string() {
        assert_eq!(java_double_string(100.0), "100.0");
        assert_eq!(java_double_string(0.001), "0.001");
        assert_eq!(java_double_string(0.0001), "1.0E-4");
        assert_eq!(java_double_string(1e20), "1.0E20");
        assert_eq!(java_double_string(1234567.0), "1234567.0");
        assert_eq!(java_double_string(12345678.0), "1.2345678E7");
        assert_eq!(java_double_string(-0.5), "-0.5");
        assert_eq!(
            show(Number::Double(0.1).add(Number::Double(0.2)).unwrap()),
            "0.3"
        );
        assert_eq!(
            show(Number::Double(1e-13).div(Number::Integer(1)).unwrap()),
            "0.00000000000010"
        );
    }

    #[test]
    fn comparison_is_mathematical() {
        assert_eq!(
            Number::Integer(2).compare(dec("2.00")).unwrap(),
            Ordering::Equal
        );
        assert_eq!(
            Number::Double(0.1).compare(dec("0.1")).unwrap(),
            Ordering::Equal
        );
        assert_eq!(
            dec("-1.5").compare(Number::Integer(-1)).unwrap(),
            Ordering::Less
        );
        assert_eq!(dec("-0.5").compare(dec("-0.25")).unwrap(), Ordering::Less);
        assert_eq!(
            Number::Double(f64::INFINITY).compare(dec("1e30")).unwrap(),
            Ordering::Greater
        );
    }

    #[test]
    fn parsing_and_overflow() {
        assert_eq!("1.50".parse::<Decimal>(), Ok(Decimal::new(150, 2)));
        assert_eq!("1.0E-4".parse::<Decimal>(), Ok(Decimal::new(10, 5)));
        assert_eq!("1E3".parse::<Decimal>(), Ok(Decimal::new(1000, 0)));
        assert!("abc".parse::<Decimal>().is_err());
        assert!("1e400".parse::<Decimal>().is_err());
        let big = Number::Decimal(Decimal::new(i128::MAX / 2, 0));
        assert_eq!(big.mul(big), Err(ArithmeticError::Overflow));
    }

    #[test]
    fn double_conversion_flags() {
        // 0.0005 is stored slightly above the decimal value: the digits were rounded down.
        assert_eq!(JavaDouble::new(0.0005).conversion_flags(), (false, false));
        assert_eq!(JavaDouble::new(0.0625).conversion_flags(), (false, true));
        // 1.0005 is stored slightly below: the shortest digits are above the exact value.
        assert_eq!(JavaDouble::new(1.0005).conversion_flags(), (true, false));
    }
}
