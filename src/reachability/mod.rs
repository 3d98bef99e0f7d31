//! The quiet-hours engine: when may a notice reach a person?
//!
//! Pure functions, no I/O and no clock: `(schedule, priority, T) -> Decision`. The
//! rules are DESIGN.md's "Reachability": working windows in the person's wall-clock time
//! (their shifts, or else a weekly pattern minus holidays), minus absences and focus
//! time; half-open windows that merge when back to back; on-call opens no window for
//! ordinary notices; urgent is always T, classified as an expected (on-call) or an
//! after-hours contact.
mod engine;
pub mod holidays;
mod local_time;
pub mod pattern;
mod windows;

pub use engine::{Decision, Priority, Reason, evaluate, previous_window_end};
pub use local_time::resolve_with_warning;
pub use pattern::{PatternError, WeeklyPattern, WindowSpec};
pub use windows::{Absence, Schedule, ScheduleMode, Shift, ShiftKind};

/// How far ahead the engine looks for a window before it gives up (`no_working_time`).
pub const HORIZON_DAYS: i64 = 400;

/// `window_ends_at` looks this far ahead at most: a window running on longer (someone
/// working around the clock) reports an end at least this far away. Apple and Google
/// keep a push for about four weeks at most, so a later end would change nothing.
pub const LONGEST_WINDOW_DAYS: i64 = 35;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
