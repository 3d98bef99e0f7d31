//! Exact money: integer öre inside, SEK with two decimals outside (`"149.00"`).
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// An amount in öre (1/100 SEK). Spoken as a decimal string with two decimals; accepts a
/// string or a JSON number on input, with `.` or `,` as the decimal mark (Swedish Excel
/// writes `149,00`), and never goes through a float.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub i64);

impl Money {
    pub fn ore(self) -> i64 {
        self.0
    }

    /// Parses `149`, `149.5`, `149.00`, `149,00`, `1 499,00`, `-3.10`; refuses more than two
    /// decimals and anything else.
    pub fn parse(input: &str) -> Result<Self, String> {
        let cleaned: String = input
            .trim()
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
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || fraction.len() > 2 {
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
                v.checked_mul(100)
                    .map(Money)
                    .ok_or_else(|| E::custom("amount too large"))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Money, E> {
                i64::try_from(v)
                    .ok()
                    .and_then(|v| v.checked_mul(100))
                    .map(Money)
                    .ok_or_else(|| E::custom("amount too large"))
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
        ] {
            assert!(Money::parse(bad).is_err(), "{bad} was accepted");
        }
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
