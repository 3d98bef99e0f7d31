//! Wall-clock time to instants, with the DST rules of DESIGN.md: a local time that does
//! not exist (the spring gap) moves forward to the first valid instant after it, which is
//! the moment the clocks change; a local time that occurs twice (the autumn overlap)
//! takes the earlier instant.
use chrono::{Duration, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

/// Seconds since the epoch of `local` in `zone`.
pub fn resolve(zone: Tz, local: NaiveDateTime) -> i64 {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => t.timestamp(),
        LocalResult::Ambiguous(a, b) => a.timestamp().min(b.timestamp()),
        LocalResult::None => gap_end(zone, local),
    }
}

fn offset_at(zone: Tz, utc_seconds: i64) -> i64 {
    let instant = chrono::DateTime::from_timestamp(utc_seconds, 0).unwrap_or_default();
    i64::from(
        zone.offset_from_utc_datetime(&instant.naive_utc())
            .fix()
            .local_minus_utc(),
    )
}

/// The instant the clocks jumped over `local`: the smallest instant whose offset is the
/// one after the gap. Between `local - later` and `local - earlier` lies exactly one
/// transition, so a binary search over that span finds it.
fn gap_end(zone: Tz, local: NaiveDateTime) -> i64 {
    let naive = local.and_utc().timestamp();
    let earlier = offset_at(zone, naive - 86_400);
    let later = offset_at(zone, naive + 86_400);
    let (mut lo, mut hi) = (naive - later, naive - earlier);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if offset_at(zone, mid) == later {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// A local day's clock: its UTC offset when one offset holds all day (almost every day),
/// so windows convert with arithmetic; `None` on a day the clocks change.
#[derive(Clone, Copy, Debug)]
pub struct DayClock {
    pub date: NaiveDate,
    steady_offset: Option<i64>,
    zone: Tz,
}

impl DayClock {
    pub fn new(zone: Tz, date: NaiveDate) -> Self {
        // Every offset lies within ±14 h, so the local day lies inside this UTC span; if
        // the offset is the same at both ends, no change happens within the day. Two
        // lookups by UTC instant are much cheaper than two by local time.
        let midnight = date
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp();
        let before = offset_at(zone, midnight - 14 * 3600);
        let after = offset_at(zone, midnight + 38 * 3600);
        Self {
            date,
            steady_offset: (before == after).then_some(before),
            zone,
        }
    }

    /// The instant of `minutes` after this day's local midnight (may pass 24:00 into the
    /// next day, for windows that cross midnight).
    pub fn instant(&self, minutes: u32) -> i64 {
        let local = self.date.and_hms_opt(0, 0, 0).unwrap_or_default()
            + Duration::minutes(i64::from(minutes));
        match self.steady_offset {
            Some(offset) if minutes < 1440 => local.and_utc().timestamp() - offset,
            _ => resolve(self.zone, local),
        }
    }
}

/// The local date of an instant.
pub fn local_date(zone: Tz, utc_seconds: i64) -> NaiveDate {
    let instant = chrono::DateTime::from_timestamp(utc_seconds, 0).unwrap_or_default();
    instant.with_timezone(&zone).date_naive()
}

/// `local` in `zone` as an instant, by the engine's rule, with a warning when the local
/// time does not exist or occurs twice (for imports to report).
pub fn resolve_with_warning(
    zone: Tz,
    local: NaiveDateTime,
) -> (chrono::DateTime<chrono::Utc>, Option<String>) {
    let seconds = resolve(zone, local);
    let instant = chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default();
    let warning = match zone.from_local_datetime(&local) {
        LocalResult::Single(_) => None,
        LocalResult::Ambiguous(..) => Some(format!(
            "{local} occurs twice in {zone} (the clocks go back); read as the earlier, {}",
            instant.with_timezone(&zone).to_rfc3339()
        )),
        LocalResult::None => Some(format!(
            "{local} does not exist in {zone} (the clocks go forward); read as {}",
            instant.with_timezone(&zone).to_rfc3339()
        )),
    };
    (instant, warning)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate};

    use super::*;

    fn at(date: (i32, u32, u32), h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(date.0, date.1, date.2)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    fn utc(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    #[test]
    fn a_missing_local_time_moves_to_the_moment_the_clocks_change() {
        let zone = chrono_tz::Europe::Stockholm;
        // 29 March 2026: 02:00 CET becomes 03:00 CEST.
        assert_eq!(
            resolve(zone, at((2026, 3, 29), 2, 30)),
            utc("2026-03-29T01:00:00Z")
        );
        assert_eq!(
            resolve(zone, at((2026, 3, 29), 2, 0)),
            utc("2026-03-29T01:00:00Z")
        );
        assert_eq!(
            resolve(zone, at((2026, 3, 29), 3, 0)),
            utc("2026-03-29T01:00:00Z")
        );
        assert_eq!(
            resolve(zone, at((2026, 3, 29), 1, 59)),
            utc("2026-03-29T00:59:00Z")
        );
    }

    #[test]
    fn a_doubled_local_time_takes_the_earlier_instant() {
        let zone = chrono_tz::Europe::Stockholm;
        // 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 happens twice.
        assert_eq!(
            resolve(zone, at((2026, 10, 25), 2, 30)),
            utc("2026-10-25T00:30:00Z")
        );
        assert_eq!(
            resolve(zone, at((2026, 10, 25), 3, 0)),
            utc("2026-10-25T02:00:00Z")
        );
    }

    #[test]
    fn half_hour_shifts_elsewhere_follow_the_same_rule() {
        // Lord Howe Island moves its clocks by 30 minutes: 2026-10-04 02:00 -> 02:30.
        let zone = chrono_tz::Australia::Lord_Howe;
        assert_eq!(
            resolve(zone, at((2026, 10, 4), 2, 15)),
            utc("2026-10-03T15:30:00Z")
        );
    }

    #[test]
    fn a_day_clock_agrees_with_the_full_rule() {
        for zone in [
            chrono_tz::Europe::Stockholm,
            chrono_tz::America::New_York,
            chrono_tz::Asia::Tokyo,
        ] {
            for (y, mo, d) in [
                (2026, 3, 29),
                (2026, 3, 8),
                (2026, 10, 25),
                (2026, 11, 1),
                (2026, 6, 1),
            ] {
                let day = DayClock::new(zone, NaiveDate::from_ymd_opt(y, mo, d).unwrap());
                for minutes in (0..1440 + 600).step_by(15) {
                    let local = at((y, mo, d), 0, 0) + Duration::minutes(minutes);
                    assert_eq!(
                        day.instant(minutes as u32),
                        resolve(zone, local),
                        "{zone} {local}"
                    );
                }
            }
        }
    }
}
