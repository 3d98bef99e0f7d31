//! `evaluate`: the one question the engine answers.
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{
    HORIZON_DAYS, LONGEST_WINDOW_DAYS,
    local_time::local_date,
    windows::{
        Holidays, Schedule, ScheduleMode, Span, WorkingWindows, blocks, on_call_at, subtract,
    },
};

pub use entities::vocab::Priority;

pub use entities::vocab::Reason;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Decision {
    /// When the notice may be pushed; `None` when it may not within the horizon.
    pub deliver_at: Option<DateTime<Utc>>,
    pub reason: Reason,
    /// The end of the window the delivery lands in: a non-urgent push expires then.
    pub window_ends_at: Option<DateTime<Utc>>,
}

fn instant(seconds: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(seconds, 0)
}

/// Where a delivery may land: the first allowed instant at or after `t`, and the end of
/// its window; with the release delay added when it had to wait for the window to open.
fn first_allowed(schedule: &Schedule<'_>, t: i64, blocked: &[Span]) -> Option<(i64, i64, bool)> {
    let horizon = t + HORIZON_DAYS * 86_400;
    let windows = WorkingWindows::new(schedule, t, horizon, Holidays::Honoured)
        .merging_until(t + LONGEST_WINDOW_DAYS * 86_400);
    // The allowed span the last piece belonged to: when it opened, and its end so far.
    // Windows far ahead (past the merging limit) can come unmerged, overlapping or
    // touching; a piece that starts inside or at the end of the span before it continues
    // that span, so its release counts from the span's opening, not its own start.
    let mut span: Option<(i64, i64)> = None;
    for window in windows {
        if window.start > horizon {
            return None;
        }
        if window.end <= t {
            continue;
        }
        for piece in subtract(window, blocked) {
            if piece.end <= t {
                continue;
            }
            if piece.start <= t {
                return Some((t, piece.end, false));
            }
            let (opened, end) = match span {
                Some((opened, end)) if piece.start <= end => (opened, end.max(piece.end)),
                _ => (piece.start, piece.end),
            };
            let release = opened + schedule.release_delay;
            if release < end && release <= horizon {
                return Some((release.max(piece.start), end, true));
            }
            span = Some((opened, end));
        }
    }
    None
}

/// The working window holding `t`, not counting blocks.
fn window_at(schedule: &Schedule<'_>, t: i64, holidays: Holidays) -> Option<Span> {
    WorkingWindows::new(schedule, t, t, holidays)
        .take_while(|w| w.start <= t)
        .find(|w| w.contains(t))
}

fn in_window_reason(schedule: &Schedule<'_>) -> Reason {
    match schedule.mode {
        ScheduleMode::Weekly => Reason::WorkingHours,
        ScheduleMode::Shifts => Reason::Shift,
    }
}

/// Why a non-urgent notice at `t` has to wait. The window lookups run only where they
/// can change the answer (focus set, a holiday near), so the common case costs nothing.
fn waiting_reason(schedule: &Schedule<'_>, t: i64) -> Reason {
    let date = local_date(schedule.zone, t);
    if schedule
        .absences
        .iter()
        .any(|a| a.starts_on <= date && date <= a.ends_on)
    {
        return Reason::Absence;
    }
    let focused = schedule.focus_until.is_some_and(|f| t < f.timestamp());
    let in_window = || window_at(schedule, t, Holidays::Honoured).is_some();
    if focused && in_window() {
        return Reason::Focus;
    }
    // A window that would hold `t` started today or yesterday: only a holiday on one of
    // those days can have removed it.
    let holiday_near = [date, date - chrono::Duration::days(1)]
        .iter()
        .any(|d| schedule.holidays.binary_search(d).is_ok());
    if schedule.mode == ScheduleMode::Weekly
        && holiday_near
        && !in_window()
        && window_at(schedule, t, Holidays::Ignored).is_some()
    {
        return Reason::Holiday;
    }
    Reason::OffDuty
}

/// When may a notice of `priority`, sent at `at`, reach the person with `schedule`?
pub fn evaluate(schedule: &Schedule<'_>, priority: Priority, at: DateTime<Utc>) -> Decision {
    let t = at.timestamp();
    if priority == Priority::Urgent {
        // Urgent is always now; what it counts as depends on where `t` falls. Time off
        // (absence) is never working time, focus is.
        let absent = blocks(schedule, false);
        let working = window_at(schedule, t, Holidays::Honoured)
            .and_then(|w| subtract(w, &absent).find(|piece| piece.contains(t)));
        return match working {
            Some(piece) => Decision {
                deliver_at: Some(at),
                reason: in_window_reason(schedule),
                window_ends_at: instant(piece.end),
            },
            None => Decision {
                deliver_at: Some(at),
                reason: if on_call_at(schedule, t).is_some() {
                    Reason::OnCall
                } else {
                    Reason::Urgent
                },
                window_ends_at: None,
            },
        };
    }
    let blocked = blocks(schedule, true);
    match first_allowed(schedule, t, &blocked) {
        Some((deliver, ends, waited)) => Decision {
            // Whole seconds: the engine works in seconds, so keep the caller's sub-second
            // part when delivering at once.
            deliver_at: if waited { instant(deliver) } else { Some(at) },
            reason: if waited {
                waiting_reason(schedule, t)
            } else {
                in_window_reason(schedule)
            },
            window_ends_at: instant(ends),
        },
        None => Decision {
            deliver_at: None,
            reason: Reason::NoWorkingTime,
            window_ends_at: None,
        },
    }
}

/// The end of the last working window that ended at or before `at`, looking back three
/// days: where a person's daily rest began.
pub fn previous_window_end(schedule: &Schedule<'_>, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let t = at.timestamp();
    WorkingWindows::new(schedule, t - 3 * 86_400, t, Holidays::Honoured)
        .take_while(|w| w.start < t)
        .filter(|w| w.end <= t)
        .last()
        .and_then(|w| instant(w.end))
}
