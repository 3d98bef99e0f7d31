//! Serializing a value as one JSON string, formatted whole before it is written.
//!
//! serde's default for such values (`collect_str`, which chrono's dates and [`Money`]
//! use) hands each piece the formatter writes to the JSON escaper separately: a
//! timestamp arrives in a dozen pieces. A page of 50 devices holds 200 of them, and
//! that was a twentieth of its CPU (BENCHMARKS.md). Here the text is formatted whole
//! first and escaped in one go; the output is the same. Dates and timestamps, the
//! commonest, are written digit by digit: chrono's own formatting pushes them into a
//! string one character at a time and was still a tenth of a page's CPU.
//!
//! [`Money`]: crate::money::Money
use std::fmt::{Display, Write};

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use serde::Serializer;

/// `#[serde(serialize_with = "crate::as_text::display")]`: the value's `Display` form.
pub fn display<T: Display, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    let mut text = String::with_capacity(24);
    write!(text, "{value}").expect("formatting into a String cannot fail");
    serializer.serialize_str(&text)
}

/// An optional date as chrono writes it (`2026-11-22`), or `null`.
pub fn optional_date<S: Serializer>(
    value: &Option<NaiveDate>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(date) => {
            let mut text = String::with_capacity(10);
            push_date(&mut text, *date);
            serializer.serialize_str(&text)
        }
        None => serializer.serialize_none(),
    }
}

/// A UTC timestamp as chrono's serde writes it (RFC 3339, `2026-11-22T12:00:00.123Z`),
/// which is its `Debug` form; its `Display` form is another (`... UTC`).
pub fn timestamp<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut text = String::with_capacity(30);
    push_timestamp(&mut text, at);
    serializer.serialize_str(&text)
}

/// Years 0 to 9999 are written as four digits; chrono signs the others (`+10000-01-01`).
fn plain_year(date: NaiveDate) -> bool {
    (0..=9999).contains(&date.year())
}

fn push_date(text: &mut String, date: NaiveDate) {
    if !plain_year(date) {
        write!(text, "{date:?}").expect("formatting into a String cannot fail");
        return;
    }
    push_digits(text, date.year() as u32, 4);
    text.push('-');
    push_digits(text, date.month(), 2);
    text.push('-');
    push_digits(text, date.day(), 2);
}

fn push_timestamp(text: &mut String, at: &DateTime<Utc>) {
    let nano = at.nanosecond();
    // A leap second (nanoseconds past a billion) is chrono's to write.
    if nano >= 1_000_000_000 || !plain_year(at.date_naive()) {
        write!(text, "{at:?}").expect("formatting into a String cannot fail");
        return;
    }
    push_date(text, at.date_naive());
    text.push('T');
    push_digits(text, at.hour(), 2);
    text.push(':');
    push_digits(text, at.minute(), 2);
    text.push(':');
    push_digits(text, at.second(), 2);
    // As few fraction digits as chrono writes: none, milli-, micro- or nanoseconds.
    let fraction = match nano {
        0 => None,
        n if n.is_multiple_of(1_000_000) => Some((n / 1_000_000, 3)),
        n if n.is_multiple_of(1_000) => Some((n / 1_000, 6)),
        n => Some((n, 9)),
    };
    if let Some((digits, width)) = fraction {
        text.push('.');
        push_digits(text, digits, width);
    }
    text.push('Z');
}

/// `value`'s last `width` decimal digits, zero-padded.
fn push_digits(text: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = (value / 10u32.pow(place)) % 10;
        text.push(char::from(b'0' + digit as u8));
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, TimeZone, Utc};
    use proptest::prelude::*;
    use serde::Serialize;

    #[derive(Serialize)]
    struct Written {
        #[serde(serialize_with = "super::timestamp")]
        at: DateTime<Utc>,
        #[serde(serialize_with = "super::optional_date")]
        on: Option<NaiveDate>,
        #[serde(serialize_with = "super::display")]
        text: String,
    }

    #[derive(Serialize)]
    struct Default {
        at: DateTime<Utc>,
        on: Option<NaiveDate>,
        text: String,
    }

    proptest! {
        /// Timestamps with and without fractions, leap seconds, dates or none, years
        /// before 0 and after 9999, and text that needs escaping: the same JSON as
        /// serde's default.
        #[test]
        fn writes_what_serde_writes(
            seconds in prop_oneof![0i64..4_102_444_800, -70_000_000_000i64..300_000_000_000],
            nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000, (0u32..1000).prop_map(|m| m * 1_000_000), (0u32..1_000_000).prop_map(|u| u * 1000)],
            leap_second in proptest::bool::weighted(0.1),
            day in proptest::option::of(prop_oneof![700_000i32..800_000, -100_000i32..4_000_000]),
            text in ".{0,80}",
        ) {
            let (seconds, nanos) = if leap_second {
                (seconds - seconds.rem_euclid(60) + 59, nanos + 1_000_000_000)
            } else {
                (seconds, nanos)
            };
            let at = Utc.timestamp_opt(seconds, nanos).unwrap();
            let on = day.map(|d| NaiveDate::from_num_days_from_ce_opt(d).unwrap());
            let ours = serde_json::to_string(&Written { at, on, text: text.clone() }).unwrap();
            let theirs = serde_json::to_string(&Default { at, on, text }).unwrap();
            prop_assert_eq!(ours, theirs);
        }
    }
}
