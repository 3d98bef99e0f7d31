//! Exact money: integer öre inside, SEK with two decimals outside (`"149.00"`).
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// An amount in öre (1/100 SEK). Spoken as a decimal string with two decimals; accepts a
/// string or a JSON number on input, with `.` or `,` as the decimal mark (Swedish Excel
/// writes `149,00`), and never goes through a float.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub i64);

/// An amount given to Stilla has at most this many whole kronor digits (under a billion
/// SEK): no price, cost or fee a region enters is larger, and sums of a million such
/// amounts, times twelve for a year, stay exact in an i64. Totals Stilla computes may be
/// longer; the OpenAPI pattern allows what answers carry (16 digits).
const MAX_WHOLE_DIGITS: usize = 9;
const MAX_WHOLE: i64 = 1_000_000_000;

/// The form of an amount, as the OpenAPI document states it: spaces (also no-break and
/// narrow no-break) anywhere, an optional minus, 1–16 digits, and `.` or `,` with at most
/// two decimals. [`Money::parse`] takes nothing else, and of this at most
/// [`MAX_WHOLE_DIGITS`] whole digits (a longer amount is a 422 naming the field).
const PATTERN: &str = "^[ \\u00A0\\u202F]*(-[ \\u00A0\\u202F]*)?([0-9][ \\u00A0\\u202F]*){1,16}([.,][ \\u00A0\\u202F]*([0-9][ \\u00A0\\u202F]*){0,2})?$";

impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(PATTERN))
                    .examples(["149.00"]),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Number)
                    .multiple_of(Some(0.01))
                    .minimum(Some(-9_999_999_999_999_999i64))
                    .maximum(Some(9_999_999_999_999_999i64)),
            )
            .description(Some(
                "An amount in SEK: answered as a string with two decimals (\"149.00\"); taken as such a string (`.` or `,`, spaces allowed) or a JSON number, under a billion kronor",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Money {}

impl Money {
    pub fn ore(self) -> i64 {
        self.0
    }

    /// Parses `149`, `149.5`, `149.00`, `149,00`, `1 499,00`, `-3.10`; refuses more than two
    /// decimals and anything else.
    pub fn parse(input: &str) -> Result<Self, String> {
        // Only these spaces, anywhere: the OpenAPI pattern says exactly this.
        let cleaned: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
            .collect();
        let err = || format!("`{input}` is not an amount in SEK with at most two decimals");
        let (negative, digits) = match cleaned.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, cleaned.as_str()),
        };
        let (whole, fraction) = match digits.split_once(['.', ',']) {
            Some((whole, fraction)) => (whole, fraction),
            None => (digits, ""),
        };
        let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty()
            || whole.len() > MAX_WHOLE_DIGITS
            || !all_digits(whole)
            || !all_digits(fraction)
            || fraction.len() > 2
        {
            return Err(err());
        }
        let whole: i64 = whole.parse().map_err(|_| err())?;
        let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| err())?;
        let ore = whole
            .checked_mul(100)
            .and_then(|v| v.checked_add(fraction))
            .ok_or_else(err)?;
        Ok(Money(if negative { -ore } else { ore }))
    }
}

/// `numerator / denominator` rounded half up to a whole number (whole öre), for
/// non-negative figures: a yearly cost spread over a device's lifetime, a cost per
/// active device.
pub fn div_round_half_up(numerator: i128, denominator: i128) -> i64 {
    ((2 * numerator + denominator) / (2 * denominator)) as i64
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::as_text::display(self, s)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Money;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an amount in SEK such as \"149.00\" or 149.5")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
                Money::parse(v).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Money, E> {
                if v.unsigned_abs() >= MAX_WHOLE as u64 {
                    return Err(E::custom("amount too large: at most 999999999.99"));
                }
                Ok(Money(v * 100))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Money, E> {
                match i64::try_from(v) {
                    Ok(v) => self.visit_i64(v),
                    Err(_) => Err(E::custom("amount too large: at most 999999999.99")),
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Money, E> {
                // The shortest decimal that round-trips the float is what the client wrote
                // (`149.1` -> "149.1"), so parsing that text stays exact.
                Money::parse(&v.to_string()).map_err(E::custom)
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_people_write() {
        assert_eq!(Money::parse("149.00"), Ok(Money(14_900)));
        assert_eq!(Money::parse("149"), Ok(Money(14_900)));
        assert_eq!(Money::parse("149,5"), Ok(Money(14_950)));
        assert_eq!(Money::parse("1 499,99"), Ok(Money(149_999)));
        assert_eq!(Money::parse("-3.10"), Ok(Money(-310)));
        assert_eq!(Money::parse("0.07"), Ok(Money(7)));
    }

    #[test]
    fn refuses_what_is_not_exact_money() {
        for bad in [
            "",
            "abc",
            "1.234",
            "1.2.3",
            ".5",
            "12e3",
            "--1",
            "99999999999999999999",
            "00000000000000001",
            "1000000000",
        ] {
            assert!(Money::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn parse_takes_only_what_the_documented_pattern_allows() {
        // Rust's regex reads `\u00A0` as ECMAScript does.
        let re = regex::Regex::new(PATTERN).unwrap();
        for text in [
            "149",
            "149.00",
            "149,5",
            "1 499,99",
            "-3.10",
            "0.07",
            "149.",
            "- 5",
            "1\u{a0}000",
            "999999999.99",
            "",
            "abc",
            "1.234",
            ".5",
            "12e3",
            "--1",
            "1.2.3",
            "\t149",
            "149\n",
            "99999999999999999",
        ] {
            if Money::parse(text).is_ok() {
                assert!(re.is_match(text), "{text:?} is taken but not documented");
            } else {
                assert!(
                    !re.is_match(text) || text.chars().filter(char::is_ascii_digit).count() > 9,
                    "{text:?} is documented but refused"
                );
            }
        }
        // Answers carry totals up to 16 digits, which the pattern allows.
        assert!(re.is_match(&Money(999_999_999_999_999_999).to_string()));
    }

    #[test]
    fn speaks_two_decimals() {
        assert_eq!(Money(14_900).to_string(), "149.00");
        assert_eq!(Money(5).to_string(), "0.05");
        assert_eq!(Money(-310).to_string(), "-3.10");
        assert_eq!(serde_json::to_string(&Money(14_950)).unwrap(), "\"149.50\"");
    }

    #[test]
    fn json_numbers_are_exact() {
        let m: Money = serde_json::from_str("149.1").unwrap();
        assert_eq!(m, Money(14_910));
        let m: Money = serde_json::from_str("0.29").unwrap();
        assert_eq!(m, Money(29));
        let m: Money = serde_json::from_str("12").unwrap();
        assert_eq!(m, Money(1_200));
        assert!(serde_json::from_str::<Money>("1.005").is_err());
    }
}
