//! The engine's rules, one by one, with fixed dates in 2026.
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::*;

/// Owns what a [`Schedule`] borrows.
#[derive(Clone, Debug)]
pub(super) struct Person {
    pub zone: Tz,
    pub mode: ScheduleMode,
    pub weekly: WeeklyPattern,
    pub holidays: Vec<NaiveDate>,
    pub shifts: Vec<Shift>,
    pub absences: Vec<Absence>,
    pub focus_until: Option<DateTime<Utc>>,
    pub release_delay_minutes: i64,
}

impl Person {
    pub fn weekly(zone: Tz, days: &[(usize, &[(u16, u16)])]) -> Self {
        let mut week: [Vec<WindowSpec>; 7] = Default::default();
        for (day, windows) in days {
            for (start, end) in *windows {
                week[*day].push(WindowSpec {
                    start: *start,
                    end: *end,
                });
            }
        }
        Person {
            zone,
            mode: ScheduleMode::Weekly,
            weekly: WeeklyPattern::new(week),
            holidays: vec![],
            shifts: vec![],
            absences: vec![],
            focus_until: None,
            release_delay_minutes: 0,
        }
    }

    /// Monday to Friday, 08:00 to 17:00, in Stockholm.
    pub fn office() -> Self {
        let day: &[(u16, u16)] = &[(480, 1020)];
        Self::weekly(
            chrono_tz::Europe::Stockholm,
            &[(0, day), (1, day), (2, day), (3, day), (4, day)],
        )
    }

    pub fn shifts(zone: Tz, shifts: &[(&str, &str, ShiftKind)]) -> Self {
        let mut person = Self::weekly(zone, &[]);
        person.mode = ScheduleMode::Shifts;
        person.shifts = shifts
            .iter()
            .map(|(s, e, kind)| Shift {
                starts_at: utc(s),
                ends_at: utc(e),
                kind: *kind,
            })
            .collect();
        person
    }

    pub fn schedule(&self) -> Schedule<'_> {
        Schedule {
            zone: self.zone,
            mode: self.mode,
            weekly: &self.weekly,
            holidays: &self.holidays,
            shifts: &self.shifts,
            absences: &self.absences,
            focus_until: self.focus_until,
            release_delay: self.release_delay_minutes * 60,
        }
    }

    pub fn at(&self, priority: Priority, when: &str) -> Decision {
        evaluate(&self.schedule(), priority, utc(when))
    }
}

pub(super) fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[track_caller]
fn assert_decision(
    d: Decision,
    deliver_at: Option<&str>,
    reason: Reason,
    window_ends_at: Option<&str>,
) {
    assert_eq!(d.deliver_at, deliver_at.map(utc), "deliver_at of {d:?}");
    assert_eq!(d.reason, reason, "reason of {d:?}");
    assert_eq!(
        d.window_ends_at,
        window_ends_at.map(utc),
        "window_ends_at of {d:?}"
    );
}

use Priority::*;

#[test]
fn inside_working_hours_a_notice_goes_at_once() {
    // Wednesday 18 November 2026, 10:15 in Stockholm (CET, +01:00).
    let d = Person::office().at(Info, "2026-11-18T10:15:00+01:00");
    assert_decision(
        d,
        Some("2026-11-18T10:15:00+01:00"),
        Reason::WorkingHours,
        Some("2026-11-18T17:00:00+01:00"),
    );
}

#[test]
fn before_and_after_hours_it_waits_for_the_next_window() {
    let p = Person::office();
    let d = p.at(Important, "2026-11-18T06:30:00+01:00");
    assert_decision(
        d,
        Some("2026-11-18T08:00:00+01:00"),
        Reason::OffDuty,
        Some("2026-11-18T17:00:00+01:00"),
    );
    let d = p.at(Info, "2026-11-18T21:00:00+01:00");
    assert_decision(
        d,
        Some("2026-11-19T08:00:00+01:00"),
        Reason::OffDuty,
        Some("2026-11-19T17:00:00+01:00"),
    );
    // Friday evening waits for Monday.
    let d = p.at(Info, "2026-11-20T17:30:00+01:00");
    assert_eq!(d.deliver_at, Some(utc("2026-11-23T08:00:00+01:00")));
}

#[test]
fn windows_are_half_open() {
    let p = Person::office();
    // At exactly 17:00 the window has closed.
    let d = p.at(Info, "2026-11-18T17:00:00+01:00");
    assert_eq!(d.deliver_at, Some(utc("2026-11-19T08:00:00+01:00")));
    // At exactly 08:00 it has opened.
    let d = p.at(Info, "2026-11-18T08:00:00+01:00");
    assert_decision(
        d,
        Some("2026-11-18T08:00:00+01:00"),
        Reason::WorkingHours,
        Some("2026-11-18T17:00:00+01:00"),
    );
}

#[test]
fn back_to_back_windows_merge_without_a_release_at_the_seam() {
    let day: &[(u16, u16)] = &[(480, 720), (720, 1020)];
    let mut p = Person::weekly(chrono_tz::Europe::Stockholm, &[(2, day)]);
    p.release_delay_minutes = 20;
    let d = p.at(Info, "2026-11-18T11:59:00+01:00");
    assert_eq!(d.window_ends_at, Some(utc("2026-11-18T17:00:00+01:00")));
    let d = p.at(Info, "2026-11-18T12:00:00+01:00");
    assert_decision(
        d,
        Some("2026-11-18T12:00:00+01:00"),
        Reason::WorkingHours,
        Some("2026-11-18T17:00:00+01:00"),
    );
}

/// Found by the property test: windows beyond the merging limit (here after 13 months
/// of focus time) came unmerged, and the release counted from the second of two
/// overlapping windows instead of from when the first opened.
#[test]
fn overlapping_windows_far_ahead_release_from_the_first_opening() {
    let day: &[(u16, u16)] = &[(645, 675), (660, 705)]; // 10:45-11:15, 11:00-11:45
    let mut p = Person::weekly(chrono_tz::Europe::Stockholm, &[(1, day)]);
    p.release_delay_minutes = 32;
    p.focus_until = Some(utc("2027-02-02T11:13:00+01:00"));
    // 2027-02-02: from the end of focus, 11:13 + 32 min reaches the window's end; the
    // next Tuesday's windows open at 10:45, so 10:45 + 32 min.
    let d = p.at(Info, "2026-01-05T11:32:00+01:00");
    assert_eq!(d.deliver_at, Some(utc("2027-02-09T11:17:00+01:00")));
    assert_eq!(d.window_ends_at, Some(utc("2027-02-09T11:45:00+01:00")));
}

#[test]
fn the_release_delay_applies_only_after_waiting() {
    let mut p = Person::office();
    p.release_delay_minutes = 30;
    let d = p.at(Info, "2026-11-18T07:00:00+01:00");
    assert_eq!(d.deliver_at, Some(utc("2026-11-18T08:30:00+01:00")));
    let d = p.at(Info, "2026-11-18T08:10:00+01:00");
    assert_eq!(d.deliver_at, Some(utc("2026-11-18T08:10:00+01:00")));
}

#[test]
fn a_missing_weekday_has_no_working_time_and_an_empty_week_fails_closed() {
    let p = Person::office();
    let d = p.at(Info, "2026-11-21T12:00:00+01:00"); // Saturday
    assert_eq!(d.deliver_at, Some(utc("2026-11-23T08:00:00+01:00")));
    let nobody = Person::weekly(chrono_tz::Europe::Stockholm, &[]);
    assert_decision(
        nobody.at(Info, "2026-11-18T10:00:00+01:00"),
        None,
        Reason::NoWorkingTime,
        None,
    );
    assert_decision(
        nobody.at(Important, "2026-11-18T10:00:00+01:00"),
        None,
        Reason::NoWorkingTime,
        None,
    );
    // Urgent still goes, as an after-hours contact.
    assert_decision(
        nobody.at(Urgent, "2026-11-18T10:00:00+01:00"),
        Some("2026-11-18T10:00:00+01:00"),
        Reason::Urgent,
        None,
    );
}

#[test]
fn urgent_is_always_now_and_says_what_kind_of_contact_it_is() {
    let mut p = Person::office();
    p.shifts = vec![Shift {
        starts_at: utc("2026-11-18T17:00:00+01:00"),
        ends_at: utc("2026-11-19T07:00:00+01:00"),
        kind: ShiftKind::OnCall,
    }];
    assert_decision(
        p.at(Urgent, "2026-11-18T10:00:00+01:00"),
        Some("2026-11-18T10:00:00+01:00"),
        Reason::WorkingHours,
        Some("2026-11-18T17:00:00+01:00"),
    );
    assert_decision(
        p.at(Urgent, "2026-11-18T23:00:00+01:00"),
        Some("2026-11-18T23:00:00+01:00"),
        Reason::OnCall,
        None,
    );
    assert_decision(
        p.at(Urgent, "2026-11-19T07:30:00+01:00"),
        Some("2026-11-19T07:30:00+01:00"),
        Reason::Urgent,
        None,
    );
    // On call is free time: an info notice at 23:00 waits for the morning.
    let d = p.at(Info, "2026-11-18T23:00:00+01:00");
    assert_decision(
        d,
        Some("2026-11-19T08:00:00+01:00"),
        Reason::OffDuty,
        Some("2026-11-19T17:00:00+01:00"),
    );
}

#[test]
fn holidays_remove_the_windows_that_start_on_them_even_next_to_a_weekend() {
    let mut p = Person::office();
    // Friday 1 May 2026 is a public holiday: Thursday evening waits for Monday 4 May.
    p.holidays = vec![date("2026-05-01")];
    let d = p.at(Info, "2026-04-30T18:00:00+02:00");
    assert_decision(
        d,
        Some("2026-05-04T08:00:00+02:00"),
        Reason::OffDuty,
        Some("2026-05-04T17:00:00+02:00"),
    );
    let d = p.at(Info, "2026-05-01T10:00:00+02:00");
    assert_decision(
        d,
        Some("2026-05-04T08:00:00+02:00"),
        Reason::Holiday,
        Some("2026-05-04T17:00:00+02:00"),
    );
    // Easter 2026: Good Friday 3 April to Easter Monday 6 April.
    p.holidays = holidays::swedish_holidays(2026)
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    let d = p.at(Info, "2026-04-02T17:30:00+02:00");
    assert_eq!(d.deliver_at, Some(utc("2026-04-07T08:00:00+02:00")));
    // An overnight window that starts the evening before a holiday still runs into it.
    let night: &[(u16, u16)] = &[(1320, 360)];
    let mut n = Person::weekly(chrono_tz::Europe::Stockholm, &[(3, night), (4, night)]);
    n.holidays = vec![date("2026-05-01")];
    let d = n.at(Info, "2026-05-01T03:00:00+02:00");
    assert_decision(
        d,
        Some("2026-05-01T03:00:00+02:00"),
        Reason::WorkingHours,
        Some("2026-05-01T06:00:00+02:00"),
    );
    let d = n.at(Info, "2026-05-01T23:00:00+02:00");
    assert_eq!(
        d.deliver_at,
        Some(utc("2026-05-07T22:00:00+02:00")),
        "Friday's own window is gone; next is Thursday"
    );
}

#[test]
fn absences_and_focus_hold_ordinary_notices() {
    let mut p = Person::office();
    p.absences = vec![Absence {
        starts_on: date("2026-11-18"),
        ends_on: date("2026-11-20"),
    }];
    let d = p.at(Info, "2026-11-18T10:00:00+01:00");
    assert_decision(
        d,
        Some("2026-11-23T08:00:00+01:00"),
        Reason::Absence,
        Some("2026-11-23T17:00:00+01:00"),
    );
    assert_eq!(
        p.at(Urgent, "2026-11-18T10:00:00+01:00").reason,
        Reason::Urgent,
        "time off is never working time"
    );

    let mut p = Person::office();
    p.focus_until = Some(utc("2026-11-18T14:30:00+01:00"));
    let d = p.at(Important, "2026-11-18T13:00:00+01:00");
    assert_decision(
        d,
        Some("2026-11-18T14:30:00+01:00"),
        Reason::Focus,
        Some("2026-11-18T17:00:00+01:00"),
    );
    let d = p.at(Info, "2026-11-18T15:00:00+01:00");
    assert_eq!(d.deliver_at, Some(utc("2026-11-18T15:00:00+01:00")));
    assert_eq!(
        p.at(Urgent, "2026-11-18T13:00:00+01:00").reason,
        Reason::WorkingHours
    );
}

#[test]
fn overnight_windows_cross_midnight() {
    let night: &[(u16, u16)] = &[(1320, 420)]; // 22:00-07:00
    let p = Person::weekly(
        chrono_tz::Europe::Stockholm,
        &[(0, night), (1, night), (2, night), (3, night), (4, night)],
    );
    let d = p.at(Info, "2026-11-19T03:00:00+01:00"); // Thursday 03:00: Wednesday's night
    assert_decision(
        d,
        Some("2026-11-19T03:00:00+01:00"),
        Reason::WorkingHours,
        Some("2026-11-19T07:00:00+01:00"),
    );
    let d = p.at(Info, "2026-11-19T12:00:00+01:00");
    assert_decision(
        d,
        Some("2026-11-19T22:00:00+01:00"),
        Reason::OffDuty,
        Some("2026-11-20T07:00:00+01:00"),
    );
    // Saturday 03:00 still belongs to Friday's night.
    assert_eq!(
        p.at(Info, "2026-11-21T03:00:00+01:00").window_ends_at,
        Some(utc("2026-11-21T07:00:00+01:00"))
    );
}

#[test]
fn dst_days_follow_the_wall_clock_in_stockholm_2026() {
    let night: &[(u16, u16)] = &[(1320, 360)]; // 22:00-06:00 every day
    let week: Vec<(usize, &[(u16, u16)])> = (0..7).map(|d| (d, night)).collect();
    let p = Person::weekly(chrono_tz::Europe::Stockholm, &week);
    // Spring: Saturday 28 March 22:00 CET to Sunday 06:00 CEST is seven hours.
    let d = p.at(Info, "2026-03-28T22:00:00+01:00");
    assert_eq!(d.window_ends_at, Some(utc("2026-03-29T06:00:00+02:00")));
    assert_eq!(
        (d.window_ends_at.unwrap() - d.deliver_at.unwrap()).num_hours(),
        7
    );
    // Autumn: Saturday 24 October 22:00 CEST to Sunday 06:00 CET is nine hours (the
    // hour from 02:00 to 03:00 happens twice).
    let d = p.at(Info, "2026-10-24T22:00:00+02:00");
    assert_eq!(d.window_ends_at, Some(utc("2026-10-25T06:00:00+01:00")));
    assert_eq!(
        (d.window_ends_at.unwrap() - d.deliver_at.unwrap()).num_hours(),
        9
    );

    // An office day after each change opens at 08:00 local, in the new offset.
    let p = Person::weekly(chrono_tz::Europe::Stockholm, &[(0, &[(480, 1020)])]);
    assert_eq!(
        p.at(Info, "2026-03-28T12:00:00+01:00").deliver_at,
        Some(utc("2026-03-30T08:00:00+02:00"))
    );
    assert_eq!(
        p.at(Info, "2026-10-24T12:00:00+02:00").deliver_at,
        Some(utc("2026-10-26T08:00:00+01:00"))
    );

    // A window starting in the spring gap (02:30 does not exist) opens when the clocks change.
    let p = Person::weekly(chrono_tz::Europe::Stockholm, &[(6, &[(150, 480)])]);
    let d = p.at(Info, "2026-03-28T12:00:00+01:00");
    assert_eq!(d.deliver_at, Some(utc("2026-03-29T03:00:00+02:00")));
    // A window starting in the doubled autumn hour (02:30) opens at its first occurrence.
    let d = p.at(Info, "2026-10-24T12:00:00+02:00");
    assert_eq!(d.deliver_at, Some(utc("2026-10-25T02:30:00+02:00")));
}

#[test]
fn zones_other_than_stockholm() {
    let day: &[(u16, u16)] = &[(540, 1020)]; // 09:00-17:00
    let weekdays: Vec<(usize, &[(u16, u16)])> = (0..5).map(|d| (d, day)).collect();
    let ny = Person::weekly(chrono_tz::America::New_York, &weekdays);
    // 14:00 in Stockholm on Wednesday is 08:00 in New York: wait one hour.
    let d = ny.at(Info, "2026-11-18T14:00:00+01:00");
    assert_decision(
        d,
        Some("2026-11-18T09:00:00-05:00"),
        Reason::OffDuty,
        Some("2026-11-18T17:00:00-05:00"),
    );
    // New York changes its clocks on 1 November, a week after Europe.
    let d = ny.at(Info, "2026-10-30T18:00:00-04:00");
    assert_eq!(d.deliver_at, Some(utc("2026-11-02T09:00:00-05:00")));
    let tokyo = Person::weekly(chrono_tz::Asia::Tokyo, &weekdays);
    let d = tokyo.at(Info, "2026-11-18T10:00:00+01:00"); // 18:00 in Tokyo
    assert_eq!(d.deliver_at, Some(utc("2026-11-19T09:00:00+09:00")));
}

#[test]
fn shift_workers_follow_only_their_shifts() {
    use ShiftKind::*;
    let mut p = Person::shifts(
        chrono_tz::Europe::Stockholm,
        &[
            (
                "2026-11-18T07:00:00+01:00",
                "2026-11-18T15:30:00+01:00",
                Work,
            ),
            (
                "2026-11-18T15:30:00+01:00",
                "2026-11-18T21:30:00+01:00",
                Work,
            ),
            (
                "2026-11-20T21:00:00+01:00",
                "2026-11-21T07:00:00+01:00",
                Work,
            ),
            (
                "2026-11-22T08:00:00+01:00",
                "2026-11-22T20:00:00+01:00",
                OnCall,
            ),
        ],
    );
    p.holidays = vec![date("2026-11-20")];
    // Back to back: one window until 21:30.
    let d = p.at(Info, "2026-11-18T15:00:00+01:00");
    assert_decision(
        d,
        Some("2026-11-18T15:00:00+01:00"),
        Reason::Shift,
        Some("2026-11-18T21:30:00+01:00"),
    );
    // At the exact end of a shift, wait for the next (holidays do not apply to shifts).
    let d = p.at(Info, "2026-11-18T21:30:00+01:00");
    assert_decision(
        d,
        Some("2026-11-20T21:00:00+01:00"),
        Reason::OffDuty,
        Some("2026-11-21T07:00:00+01:00"),
    );
    // On-call is not a window; after the last shift there is nothing: fail closed.
    assert_decision(
        p.at(Info, "2026-11-22T09:00:00+01:00"),
        None,
        Reason::NoWorkingTime,
        None,
    );
    assert_decision(
        p.at(Urgent, "2026-11-22T09:00:00+01:00"),
        Some("2026-11-22T09:00:00+01:00"),
        Reason::OnCall,
        None,
    );
    // A weekly pattern does not apply to a shift worker.
    p.weekly = Person::office().weekly;
    assert_decision(
        p.at(Info, "2026-11-23T10:00:00+01:00"),
        None,
        Reason::NoWorkingTime,
        None,
    );
}

#[test]
fn nothing_beyond_the_horizon() {
    let p = Person::shifts(
        chrono_tz::Europe::Stockholm,
        &[(
            "2028-06-01T07:00:00+02:00",
            "2028-06-01T15:00:00+02:00",
            ShiftKind::Work,
        )],
    );
    assert_decision(
        p.at(Info, "2026-11-18T10:00:00+01:00"),
        None,
        Reason::NoWorkingTime,
        None,
    );
    assert!(p.at(Info, "2027-06-01T10:00:00+02:00").deliver_at.is_some());
}

#[test]
fn around_the_clock_the_window_end_is_reported_weeks_ahead_not_at_the_horizon() {
    let day: &[(u16, u16)] = &[(0, 1440)];
    let always = Person::weekly(
        chrono_tz::Europe::Stockholm,
        &[
            (0, day),
            (1, day),
            (2, day),
            (3, day),
            (4, day),
            (5, day),
            (6, day),
        ],
    );
    let t = utc("2026-11-18T10:00:00+01:00");
    let d = always.at(Priority::Info, "2026-11-18T10:00:00+01:00");
    assert_eq!(d.deliver_at, Some(t));
    let ahead = (d.window_ends_at.unwrap() - t).num_days();
    assert!(
        (LONGEST_WINDOW_DAYS..=LONGEST_WINDOW_DAYS + 2).contains(&ahead),
        "{ahead} days"
    );
    // Absent for two months: it waits until the absence ends, at once (no seam there).
    let mut away = always.clone();
    away.absences.push(Absence {
        starts_on: date("2026-11-18"),
        ends_on: date("2027-01-17"),
    });
    let d = away.at(Priority::Info, "2026-11-18T10:00:00+01:00");
    assert_eq!(d.deliver_at, Some(utc("2027-01-18T00:00:00+01:00")));
    assert_eq!(d.reason, Reason::Absence);
}

#[test]
fn the_daily_rest_starts_where_the_last_window_ended() {
    let office = Person::office();
    // Tuesday 03:00: Monday's window ended 17:00.
    assert_eq!(
        previous_window_end(&office.schedule(), utc("2026-11-17T03:00:00+01:00")),
        Some(utc("2026-11-16T17:00:00+01:00"))
    );
    // Monday 07:00: Friday's window, across the weekend.
    assert_eq!(
        previous_window_end(&office.schedule(), utc("2026-11-16T07:00:00+01:00")),
        Some(utc("2026-11-13T17:00:00+01:00"))
    );
    // In a window, the one before it (Monday's, seen from Tuesday 10:00).
    assert_eq!(
        previous_window_end(&office.schedule(), utc("2026-11-17T10:00:00+01:00")),
        Some(utc("2026-11-16T17:00:00+01:00"))
    );
}
