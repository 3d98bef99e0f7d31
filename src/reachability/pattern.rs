//! Weekly working patterns: wall-clock windows per weekday.
use std::fmt;

use chrono::Weekday;
use serde::{Deserialize, Serialize};

/// One window of a weekday, in minutes after local midnight. `end` may be 1440 (24:00);
/// an `end` at or before `start` crosses midnight into the next day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WindowSpec {
    pub start: u16,
    pub end: u16,
}

impl WindowSpec {
    /// Minutes from `start` to `end` on the wall clock, crossing midnight when needed.
    pub fn wall_minutes(self) -> u16 {
        if self.end > self.start {
            self.end - self.start
        } else {
            1440 - self.start + self.end
        }
    }
}

/// A week of windows, Monday first. A day with no windows has no working time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WeeklyPattern {
    days: [Vec<WindowSpec>; 7],
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    /// Where: `mon[1].end`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The API's form: `{"mon": [{"start": "08:00", "end": "17:00"}], ...}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingHours {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mon: Vec<TimeRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tue: Vec<TimeRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wed: Vec<TimeRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thu: Vec<TimeRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fri: Vec<TimeRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sat: Vec<TimeRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sun: Vec<TimeRange>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeRange {
    /// `HH:MM`, 00:00 to 23:59.
    #[schema(example = "07:00")]
    pub start: String,
    /// `HH:MM`, 00:00 to 24:00; at or before `start` it ends the next day.
    #[schema(example = "15:30")]
    pub end: String,
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Reads `HH:MM` as minutes after midnight; `24:00` only where `allow_24` is set.
fn parse_clock(text: &str, allow_24: bool) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) if allow_24 => Some(1440),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

fn format_clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl WeeklyPattern {
    pub fn new(days: [Vec<WindowSpec>; 7]) -> Self {
        let mut days = days;
        for day in &mut days {
            day.sort();
        }
        Self { days }
    }

    /// The windows of a weekday, sorted by start.
    pub fn day(&self, weekday: Weekday) -> &[WindowSpec] {
        &self.days[weekday.num_days_from_monday() as usize]
    }

    pub fn is_empty(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }

    /// Checks the API's form. Windows of one day may not overlap on the wall clock
    /// (back to back is fine: they merge).
    pub fn from_hours(hours: &WorkingHours) -> Result<Self, Vec<PatternError>> {
        let mut errors = Vec::new();
        let lists = [
            &hours.mon, &hours.tue, &hours.wed, &hours.thu, &hours.fri, &hours.sat, &hours.sun,
        ];
        let mut days: [Vec<WindowSpec>; 7] = Default::default();
        for (d, list) in lists.iter().enumerate() {
            for (i, range) in list.iter().enumerate() {
                let start = parse_clock(&range.start, false);
                let end = parse_clock(&range.end, true);
                let at = |part: &str| format!("{}[{i}].{part}", DAY_NAMES[d]);
                if start.is_none() {
                    errors.push(PatternError {
                        field: at("start"),
                        message: format!(
                            "`{}` is not a time HH:MM from 00:00 to 23:59",
                            range.start
                        ),
                    });
                }
                if end.is_none() {
                    errors.push(PatternError {
                        field: at("end"),
                        message: format!("`{}` is not a time HH:MM from 00:00 to 24:00", range.end),
                    });
                }
                if let (Some(start), Some(end)) = (start, end) {
                    days[d].push(WindowSpec { start, end });
                }
            }
            days[d].sort();
            for (i, pair) in days[d].windows(2).enumerate() {
                if pair[0].start + pair[0].wall_minutes() > pair[1].start {
                    errors.push(PatternError {
                        field: format!("{}[{}]", DAY_NAMES[d], i + 1),
                        message: "overlaps another window of the same day".to_owned(),
                    });
                }
            }
        }
        if errors.is_empty() {
            Ok(Self { days })
        } else {
            Err(errors)
        }
    }

    /// Back to the API's form.
    pub fn to_hours(&self) -> WorkingHours {
        let list = |d: usize| {
            self.days[d]
                .iter()
                .map(|w| TimeRange {
                    start: format_clock(w.start),
                    end: format_clock(w.end),
                })
                .collect()
        };
        WorkingHours {
            mon: list(0),
            tue: list(1),
            wed: list(2),
            thu: list(3),
            fri: list(4),
            sat: list(5),
            sun: list(6),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: &str, end: &str) -> TimeRange {
        TimeRange {
            start: start.to_owned(),
            end: end.to_owned(),
        }
    }

    #[test]
    fn reads_and_writes_the_api_form() {
        let hours = WorkingHours {
            mon: vec![range("13:00", "17:00"), range("08:00", "12:00")],
            fri: vec![range("22:00", "06:00")],
            sun: vec![range("00:00", "24:00")],
            ..Default::default()
        };
        let pattern = WeeklyPattern::from_hours(&hours).unwrap();
        assert_eq!(
            pattern.day(Weekday::Mon),
            &[
                WindowSpec {
                    start: 480,
                    end: 720
                },
                WindowSpec {
                    start: 780,
                    end: 1020
                }
            ]
        );
        assert_eq!(pattern.day(Weekday::Fri)[0].wall_minutes(), 480);
        assert_eq!(
            pattern.day(Weekday::Sun)[0],
            WindowSpec {
                start: 0,
                end: 1440
            }
        );
        assert!(pattern.day(Weekday::Tue).is_empty());
        let back = pattern.to_hours();
        assert_eq!(
            back.mon,
            vec![range("08:00", "12:00"), range("13:00", "17:00")]
        );
        assert_eq!(back.sun, vec![range("00:00", "24:00")]);
    }

    #[test]
    fn refuses_bad_times_and_overlaps() {
        let hours = WorkingHours {
            mon: vec![range("8:00", "17:00")],
            tue: vec![range("24:00", "25:00")],
            wed: vec![range("08:00", "12:00"), range("11:00", "13:00")],
            thu: vec![range("08:00", "12:00"), range("12:00", "13:00")],
            ..Default::default()
        };
        let errors = WeeklyPattern::from_hours(&hours).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["mon[0].start", "tue[0].start", "tue[0].end", "wed[1]"]
        );
    }
}
