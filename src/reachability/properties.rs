//! Property tests: for random patterns, shifts, zones and instants, the engine's answer
//! agrees with a brute-force walk over every allowed span.
use chrono::{DateTime, Duration, NaiveDate, Utc};
use proptest::prelude::*;

use super::{
    LONGEST_WINDOW_DAYS,
    tests::Person,
    windows::{Holidays, Span, WorkingWindows, blocks, subtract},
    *,
};

const ZONES: [chrono_tz::Tz; 7] = [
    chrono_tz::Europe::Stockholm,
    chrono_tz::Europe::London,
    chrono_tz::America::New_York,
    chrono_tz::Asia::Tokyo,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Asia::Kolkata,
    chrono_tz::UTC,
];

/// Seconds in 2026 and 2027, where both years' DST changes lie.
fn instant() -> impl Strategy<Value = i64> {
    1_767_225_600i64..1_830_297_600i64
}

fn window() -> impl Strategy<Value = WindowSpec> {
    (0u16..96, 1u16..96).prop_map(|(start, len)| {
        let start = start * 15;
        WindowSpec {
            start,
            end: (start + len * 15) % 1440,
        }
    })
}

fn person() -> impl Strategy<Value = Person> {
    (
        0..ZONES.len(),
        any::<bool>(),
        proptest::array::uniform7(proptest::collection::vec(window(), 0..3)),
        proptest::collection::vec(0i64..730, 0..8),
        proptest::collection::vec(
            (instant(), 1i64..48 * 4, any::<bool>(), 0i64..24 * 4),
            0..40,
        ),
        proptest::collection::vec((0i64..730, 0i64..10), 0..3),
        proptest::option::of(instant()),
    )
        .prop_map(
            |(zone, shifts_mode, days, holidays, shifts, absences, focus)| {
                let base = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
                let mut shift_list = Vec::new();
                let mut sorted = shifts;
                sorted.sort_unstable();
                let mut free_from = i64::MIN;
                for (start, quarters, on_call, gap) in sorted {
                    let start = start.max(free_from) + gap * 900;
                    let end = start + quarters * 900;
                    free_from = end;
                    shift_list.push(Shift {
                        starts_at: DateTime::from_timestamp(start, 0).unwrap(),
                        ends_at: DateTime::from_timestamp(end, 0).unwrap(),
                        kind: if on_call {
                            ShiftKind::OnCall
                        } else {
                            ShiftKind::Work
                        },
                    });
                }
                let mut holiday_dates: Vec<NaiveDate> =
                    holidays.iter().map(|d| base + Duration::days(*d)).collect();
                holiday_dates.sort();
                holiday_dates.dedup();
                Person {
                    zone: ZONES[zone],
                    mode: if shifts_mode {
                        ScheduleMode::Shifts
                    } else {
                        ScheduleMode::Weekly
                    },
                    weekly: WeeklyPattern::new(days),
                    holidays: holiday_dates,
                    shifts: shift_list,
                    absences: absences
                        .iter()
                        .map(|(start, len)| Absence {
                            starts_on: base + Duration::days(*start),
                            ends_on: base + Duration::days(start + len),
                        })
                        .collect(),
                    focus_until: focus.and_then(|f| DateTime::from_timestamp(f, 0)),
                    release_delay_minutes: 0,
                }
            },
        )
}

/// Every allowed span that touches `[t, t + horizon]`, by walking all windows.
fn allowed_spans(schedule: &Schedule<'_>, t: i64) -> Vec<Span> {
    let blocked = blocks(schedule, true);
    let horizon = t + HORIZON_DAYS * 86_400;
    WorkingWindows::new(schedule, t - 3 * 86_400, horizon, Holidays::Honoured)
        .take_while(|w| w.start <= horizon)
        .flat_map(|w| subtract(w, &blocked).collect::<Vec<_>>())
        .filter(|s| s.end > t)
        .collect()
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn non_urgent_deliveries_land_on_the_first_allowed_instant(p in person(), t in instant(), important in any::<bool>()) {
        let schedule = p.schedule();
        let priority = if important { Priority::Important } else { Priority::Info };
        let decision = evaluate(&schedule, priority, at(t));
        let spans = allowed_spans(&schedule, t);
        if let Some(deliver) = decision.deliver_at {
            let deliver = deliver.timestamp();
            prop_assert!(deliver >= t);
            let holding = spans.iter().find(|s| s.contains(deliver));
            prop_assert!(holding.is_some(), "{decision:?} lies in no allowed span");
            // The window's end, or, for a window running on for weeks, a point at
            // least LONGEST_WINDOW_DAYS ahead inside it.
            let ends = decision.window_ends_at.map(|w| w.timestamp()).unwrap();
            let end = holding.unwrap().end;
            prop_assert!(ends == end || (ends < end && ends >= t + LONGEST_WINDOW_DAYS * 86_400),
                "window_ends_at {ends} vs window end {end}");
            prop_assert!(spans.iter().all(|s| s.end <= t || s.start >= deliver || s.contains(deliver) && s.start <= t),
                "an allowed instant lies between T and {decision:?}");
            prop_assert!(spans.iter().all(|s| !(s.start < deliver && s.end > t && !s.contains(deliver))));
            let again = evaluate(&schedule, priority, at(deliver));
            prop_assert_eq!(again.deliver_at.map(|d| d.timestamp()), Some(deliver));
        } else {
            prop_assert_eq!(decision.reason, Reason::NoWorkingTime);
            prop_assert!(spans.iter().all(|s| s.start > t + HORIZON_DAYS * 86_400), "{spans:?}");
        }
    }

    #[test]
    fn urgent_is_always_now(p in person(), t in instant()) {
        let decision = evaluate(&p.schedule(), Priority::Urgent, at(t));
        prop_assert_eq!(decision.deliver_at, Some(at(t)));
        prop_assert!(matches!(decision.reason, Reason::WorkingHours | Reason::Shift | Reason::OnCall | Reason::Urgent));
    }

    #[test]
    fn a_release_delay_moves_waiting_deliveries_past_the_window_start(p in person(), t in instant(), delay in 1i64..60) {
        let mut p = p;
        p.release_delay_minutes = delay;
        let schedule = p.schedule();
        let decision = evaluate(&schedule, Priority::Info, at(t));
        if let Some(deliver) = decision.deliver_at {
            let deliver = deliver.timestamp();
            let spans = allowed_spans(&schedule, t);
            let holding = spans.iter().find(|s| s.contains(deliver));
            prop_assert!(holding.is_some());
            let holding = holding.unwrap();
            // Either it went at once, or exactly `delay` after its span opened.
            prop_assert!(deliver == t || deliver == holding.start + delay * 60, "{decision:?} in {holding:?}");
            let again = evaluate(&schedule, Priority::Info, at(deliver));
            prop_assert_eq!(again.deliver_at.map(|d| d.timestamp()), Some(deliver));
        }
    }
}
