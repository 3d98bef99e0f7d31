//! How numbers, money and times look on screen: ISO 8601 dates, 24-hour times, and
//! Swedish number format in Swedish (`12 345,50`, non-breaking space) — CSV and XLSX keep
//! plain numbers.
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::i18n::Lang;
use crate::money::Money;

/// An integer with thousands grouped the language's way.
pub fn count(lang: Lang, n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let separator = match lang {
        Lang::Sv => '\u{a0}',
        Lang::En => ',',
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(ch);
    }
    out
}

/// An amount in kronor with two decimals: `1 234,50 kr` / `SEK 1,234.50`.
pub fn money(lang: Lang, amount: Money) -> String {
    let ore = amount.ore();
    let kronor = count(lang, ore / 100);
    let sign = if ore < 0 && ore / 100 == 0 { "-" } else { "" };
    let cents = (ore % 100).abs();
    match lang {
        Lang::Sv => format!("{sign}{kronor},{cents:02}\u{a0}kr"),
        Lang::En => format!("SEK\u{a0}{sign}{kronor}.{cents:02}"),
    }
}

/// A moment in the tenant's zone: `2026-03-29 03:00`, with the UTC offset when asked
/// (on days the clocks change, "03:00" alone does not say which 03:00).
pub fn local_time(at: DateTime<Utc>, zone: Tz, with_offset: bool) -> String {
    let local = at.with_timezone(&zone);
    if with_offset {
        local.format("%Y-%m-%d %H:%M (UTC%:z)").to_string()
    } else {
        local.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// A moment in `zone` to the minute, with the UTC offset only on the days the clocks
/// change there.
pub fn local_time_marked(at: DateTime<Utc>, zone: Tz) -> String {
    local_time(at, zone, clocks_change_on(at, zone))
}

/// A recorded moment in `zone` to the second (`2026-03-29 03:00:12`), with the UTC
/// offset on the days the clocks change there, when the local time alone is ambiguous.
pub fn local_moment(at: DateTime<Utc>, zone: Tz) -> String {
    let local = at.with_timezone(&zone);
    if clocks_change_on(at, zone) {
        local.format("%Y-%m-%d %H:%M:%S (UTC%:z)").to_string()
    } else {
        local.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// Whether the clocks change in `zone` on the local day of `at` (then a local time alone
/// may be ambiguous or skipped, and the page shows the offset).
pub fn clocks_change_on(at: DateTime<Utc>, zone: Tz) -> bool {
    use chrono::{Offset, TimeZone};
    let day = at.with_timezone(&zone).date_naive();
    let offset_at = |hour: u32| {
        day.and_hms_opt(hour, 0, 0)
            .and_then(|t| zone.from_local_datetime(&t).earliest())
            .map(|t| t.offset().fix())
    };
    offset_at(0) != offset_at(23)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn groups_thousands_per_language() {
        assert_eq!(count(Lang::Sv, 0), "0");
        assert_eq!(count(Lang::Sv, 999), "999");
        assert_eq!(count(Lang::Sv, 100_000), "100\u{a0}000");
        assert_eq!(count(Lang::En, 1_234_567), "1,234,567");
        assert_eq!(count(Lang::Sv, -4_500), "-4\u{a0}500");
    }

    #[test]
    fn money_has_a_decimal_comma_in_swedish() {
        let amount = Money(123_450);
        assert_eq!(money(Lang::Sv, amount), "1\u{a0}234,50\u{a0}kr");
        assert_eq!(money(Lang::En, amount), "SEK\u{a0}1,234.50");
        assert_eq!(money(Lang::Sv, Money(-5)), "-0,05\u{a0}kr");
    }

    #[test]
    fn shows_the_offset_that_tells_two_equal_local_times_apart() {
        let zone: Tz = "Europe/Stockholm".parse().unwrap();
        // 2026-10-25: 02:30 happens twice in Stockholm.
        let first = Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap();
        let second = Utc.with_ymd_and_hms(2026, 10, 25, 1, 30, 0).unwrap();
        assert_eq!(
            local_time(first, zone, true),
            "2026-10-25 02:30 (UTC+02:00)"
        );
        assert_eq!(
            local_time(second, zone, true),
            "2026-10-25 02:30 (UTC+01:00)"
        );
        assert_eq!(local_time(second, zone, false), "2026-10-25 02:30");
        assert!(clocks_change_on(first, zone));
        assert!(clocks_change_on(
            Utc.with_ymd_and_hms(2026, 3, 29, 12, 0, 0).unwrap(),
            zone
        ));
        assert!(!clocks_change_on(
            Utc.with_ymd_and_hms(2026, 3, 30, 12, 0, 0).unwrap(),
            zone
        ));
    }

    #[test]
    fn recorded_moments_are_local_with_the_offset_only_when_the_clocks_change() {
        let zone = chrono_tz::Europe::Stockholm;
        let winter = Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 5).unwrap();
        assert_eq!(local_moment(winter, zone), "2026-01-15 13:00:05");
        let summer = Utc.with_ymd_and_hms(2026, 7, 1, 12, 0, 5).unwrap();
        assert_eq!(local_moment(summer, zone), "2026-07-01 14:00:05");
        // 25 October 2026: 02:30 happens twice; the offset says which.
        let autumn = Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap();
        assert_eq!(
            local_moment(autumn, zone),
            "2026-10-25 02:30:00 (UTC+02:00)"
        );
    }
}
