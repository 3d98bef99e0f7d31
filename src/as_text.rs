//! Serializing a value as the JSON string of its `Display` form, written once.
//!
//! serde's default for such values (`collect_str`, which chrono's dates and [`Money`]
//! use) hands each piece the formatter writes to the JSON escaper separately: a
//! timestamp arrives in a dozen pieces. A page of 50 devices holds 200 of them, and
//! that was a twentieth of its CPU (BENCHMARKS.md). Here the text is formatted whole
//! first and escaped in one go; the output is the same.
//!
//! [`Money`]: crate::money::Money
use std::fmt::Display;

use chrono::{DateTime, Utc};
use serde::Serializer;

/// `#[serde(serialize_with = "crate::as_text::display")]`: the value's `Display` form.
pub fn display<T: Display, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&value.to_string())
}

/// [`display`] for an optional value (`null` when absent); for dates (`2026-11-22`).
pub fn optional_display<T: Display, S: Serializer>(
    value: &Option<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => display(value, serializer),
        None => serializer.serialize_none(),
    }
}

/// A UTC timestamp as chrono's serde writes it (RFC 3339, `2026-11-22T12:00:00.123Z`),
/// which is its `Debug` form; its `Display` form is another (`... UTC`).
pub fn timestamp<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format!("{at:?}"))
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
        #[serde(serialize_with = "super::optional_display")]
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
        /// Timestamps with and without fractions, dates or none, and text that needs
        /// escaping: the same JSON as serde's default.
        #[test]
        fn writes_what_serde_writes(
            seconds in 0i64..4_102_444_800,
            nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000, (0u32..1000).prop_map(|m| m * 1_000_000)],
            day in proptest::option::of(0i32..100_000),
            text in ".{0,80}",
        ) {
            let at = Utc.timestamp_opt(seconds, nanos).unwrap();
            let on = day.map(|d| NaiveDate::from_num_days_from_ce_opt(700_000 + d).unwrap());
            let ours = serde_json::to_string(&Written { at, on, text: text.clone() }).unwrap();
            let theirs = serde_json::to_string(&Default { at, on, text }).unwrap();
            prop_assert_eq!(ours, theirs);
        }
    }
}
