//! A person's schedule as instants: working windows (weekly or shifts), merged when back
//! to back, and the blocks (absence, focus) that narrow them.
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{
    local_time::{DayClock, local_date},
    pattern::WeeklyPattern,
};

pub use entities::vocab::{ScheduleMode, ShiftKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shift {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub kind: ShiftKind,
}

/// Days off, inclusive, in the person's zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Absence {
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// Everything the engine knows about one person. Borrowed, so that a notice to 50,000
/// people shares the tenant's pattern and holidays instead of copying them.
#[derive(Clone, Copy, Debug)]
pub struct Schedule<'a> {
    pub zone: Tz,
    pub mode: ScheduleMode,
    /// The pattern in force (already resolved: person, else unit chain, else tenant).
    pub weekly: &'a WeeklyPattern,
    /// The tenant's holidays, sorted.
    pub holidays: &'a [NaiveDate],
    /// Shifts sorted by start, not overlapping.
    pub shifts: &'a [Shift],
    pub absences: &'a [Absence],
    pub focus_until: Option<DateTime<Utc>>,
    /// The tenant's `release_delay_minutes`, in seconds.
    pub release_delay: i64,
}

/// A half-open span `[start, end)` of seconds since the epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: i64,
    pub end: i64,
}

impl Span {
    pub fn contains(self, t: i64) -> bool {
        self.start <= t && t < self.end
    }
}

/// Whether weekly windows starting on holidays are dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holidays {
    Honoured,
    Ignored,
}

/// The working windows of a schedule from about `from` until about `until`, in order,
/// merged where they touch or overlap. Lazy: it computes a day (or a shift) at a time.
pub struct WorkingWindows<'a> {
    schedule: &'a Schedule<'a>,
    holidays: Holidays,
    /// Weekly: the next local date to expand. Shifts: the next shift's index.
    next_date: NaiveDate,
    next_shift: usize,
    last_date: NaiveDate,
    /// Windows of the last expanded day, in reverse order (popped from the end).
    pending: Vec<Span>,
    current: Option<Span>,
    /// A merged window stops growing once it ends after this (see
    /// [`WorkingWindows::merging_until`]).
    merge_until: i64,
}

impl<'a> WorkingWindows<'a> {
    pub fn new(schedule: &'a Schedule<'a>, from: i64, until: i64, holidays: Holidays) -> Self {
        // A window that crosses midnight may have started the day before `from`'s date.
        let first = local_date(schedule.zone, from) - Duration::days(1);
        let next_shift = schedule
            .shifts
            .partition_point(|s| s.ends_at.timestamp() <= from);
        Self {
            schedule,
            holidays,
            next_date: first,
            next_shift,
            // The last day whose windows may start before `until`.
            last_date: local_date(schedule.zone, until) + Duration::days(1),
            pending: Vec::new(),
            current: None,
            merge_until: i64::MAX,
        }
    }

    /// Stops merging a run of back-to-back windows once it reaches past `until`: the
    /// rest of the run comes as further windows. Someone working around the clock
    /// would otherwise cost a walk of the whole horizon to find where their window ends.
    pub fn merging_until(mut self, until: i64) -> Self {
        self.merge_until = until;
        self
    }

    /// The next window before merging.
    fn next_raw(&mut self) -> Option<Span> {
        match self.schedule.mode {
            ScheduleMode::Shifts => {
                let shifts = self.schedule.shifts;
                while let Some(shift) = shifts.get(self.next_shift) {
                    self.next_shift += 1;
                    if shift.kind == ShiftKind::Work {
                        return Some(Span {
                            start: shift.starts_at.timestamp(),
                            end: shift.ends_at.timestamp(),
                        });
                    }
                }
                None
            }
            ScheduleMode::Weekly => {
                while self.pending.is_empty() {
                    if self.next_date > self.last_date {
                        return None;
                    }
                    let date = self.next_date;
                    self.next_date = date + Duration::days(1);
                    self.expand_day(date);
                }
                self.pending.pop()
            }
        }
    }

    fn expand_day(&mut self, date: NaiveDate) {
        if self.holidays == Holidays::Honoured
            && self.schedule.holidays.binary_search(&date).is_ok()
        {
            return;
        }
        let specs = self.schedule.weekly.day(chrono::Datelike::weekday(&date));
        if specs.is_empty() {
            return;
        }
        let clock = DayClock::new(self.schedule.zone, date);
        for spec in specs.iter().rev() {
            let start = clock.instant(u32::from(spec.start));
            let end = clock.instant(u32::from(spec.start) + u32::from(spec.wall_minutes()));
            if end > start {
                self.pending.push(Span { start, end });
            }
        }
    }
}

impl Iterator for WorkingWindows<'_> {
    type Item = Span;

    fn next(&mut self) -> Option<Span> {
        loop {
            match (self.current, self.next_raw()) {
                (None, None) => return None,
                (None, Some(raw)) => self.current = Some(raw),
                (Some(current), None) => {
                    self.current = None;
                    return Some(current);
                }
                (Some(current), Some(raw))
                    if raw.start <= current.end && current.end <= self.merge_until =>
                {
                    self.current = Some(Span {
                        start: current.start,
                        end: current.end.max(raw.end),
                    });
                }
                (Some(current), Some(raw)) => {
                    self.current = Some(raw);
                    return Some(current);
                }
            }
        }
    }
}

/// The spans in which nothing but urgent notices may arrive: absence days (in the
/// person's zone) and focus time, sorted by start.
pub fn blocks(schedule: &Schedule<'_>, include_focus: bool) -> Vec<Span> {
    let mut spans: Vec<Span> = schedule
        .absences
        .iter()
        .map(|a| Span {
            start: DayClock::new(schedule.zone, a.starts_on).instant(0),
            end: DayClock::new(schedule.zone, a.ends_on + Duration::days(1)).instant(0),
        })
        .collect();
    if include_focus && let Some(until) = schedule.focus_until {
        spans.push(Span {
            start: i64::MIN,
            end: until.timestamp(),
        });
    }
    spans.sort_by_key(|s| s.start);
    spans
}

/// The parts of `window` outside every block, in order.
pub fn subtract(window: Span, blocks: &[Span]) -> impl Iterator<Item = Span> + '_ {
    let mut cursor = window.start;
    let mut index = 0;
    std::iter::from_fn(move || {
        while cursor < window.end {
            match blocks.get(index) {
                Some(block) if block.end <= cursor => index += 1,
                Some(block) if block.start <= cursor => {
                    cursor = block.end;
                    index += 1;
                }
                Some(block) if block.start < window.end => {
                    let piece = Span {
                        start: cursor,
                        end: block.start,
                    };
                    cursor = block.end;
                    index += 1;
                    return Some(piece);
                }
                _ => {
                    let piece = Span {
                        start: cursor,
                        end: window.end,
                    };
                    cursor = window.end;
                    return Some(piece);
                }
            }
        }
        None
    })
}

/// The on-call shift holding `t`, if any.
pub fn on_call_at(schedule: &Schedule<'_>, t: i64) -> Option<Span> {
    let first = schedule
        .shifts
        .partition_point(|s| s.ends_at.timestamp() <= t);
    schedule.shifts[first..]
        .iter()
        .take_while(|s| s.starts_at.timestamp() <= t)
        .find(|s| s.kind == ShiftKind::OnCall)
        .map(|s| Span {
            start: s.starts_at.timestamp(),
            end: s.ends_at.timestamp(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtracting_blocks_leaves_the_gaps_between_them() {
        let window = Span { start: 0, end: 100 };
        let blocks = [
            Span { start: -10, end: 5 },
            Span { start: 20, end: 30 },
            Span { start: 25, end: 40 },
            Span {
                start: 90,
                end: 200,
            },
        ];
        let pieces: Vec<Span> = subtract(window, &blocks).collect();
        assert_eq!(
            pieces,
            [Span { start: 5, end: 20 }, Span { start: 40, end: 90 }]
        );
        assert_eq!(subtract(window, &[]).collect::<Vec<_>>(), [window]);
        assert!(
            subtract(
                window,
                &[Span {
                    start: -1,
                    end: 101
                }]
            )
            .next()
            .is_none()
        );
    }
}
