//! `POST /import/shifts`: rosters from Swedish scheduling systems, as CSV or iCalendar,
//! all shifts or none, with the line of every bad one.
//!
//! Local times are read in the employee's zone by the engine's DST rule; a time that
//! does not exist or occurs twice is resolved and reported as a warning on its line.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;
use entities::{employee, shift};
use icalendar::{CalendarComponent, CalendarDateTime, Component, DatePerhapsTime};
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    book::ScheduleBook,
    shifts::{LONGEST_SHIFT_HOURS, ShiftView},
};
use crate::{
    audit::{self, Actor},
    auth::{Caller, Resource},
    error::{AppError, AppResult, LineError},
    import::may_import,
    import::{Table, read_table},
    notices::replan::{Affected, replan},
    reachability::{ShiftKind, resolve_with_warning},
};

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LineWarning {
    pub line: u64,
    pub message: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ShiftImportOutcome {
    pub created: usize,
    pub valid_rows: usize,
    pub dry_run: bool,
    pub warnings: Vec<LineWarning>,
}

/// A shift read from a file, before the checks against the others.
struct Row {
    line: u64,
    employee_id: Uuid,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    kind: ShiftKind,
}

fn line_error(line: u64, field: &str, message: impl Into<String>) -> LineError {
    LineError {
        line,
        field: Some(field.to_owned()),
        message: message.into(),
    }
}

/// A time read from `field` of `line`: its DST warning noted, or its error.
fn note_time(
    line: u64,
    field: &str,
    read: Result<(DateTime<Utc>, Option<String>), String>,
    warnings: &mut Vec<LineWarning>,
    errors: &mut Vec<LineError>,
) -> Option<DateTime<Utc>> {
    match read {
        Ok((t, warning)) => {
            if let Some(message) = warning {
                warnings.push(LineWarning {
                    line,
                    message: format!("{field}: {message}"),
                });
            }
            Some(t)
        }
        Err(message) => {
            errors.push(line_error(line, field, message));
            None
        }
    }
}

/// RFC 3339 as it stands, else a local time (`2026-11-18 07:00`, with `T` or seconds
/// allowed) in `zone`.
fn read_time(text: &str, zone: Tz) -> Result<(DateTime<Utc>, Option<String>), String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok((t.with_timezone(&Utc), None));
    }
    for format in [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(local) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(resolve_with_warning(zone, local));
        }
    }
    Err(format!(
        "`{text}` is not a time such as 2026-11-18 07:00 or 2026-11-18T07:00:00+01:00"
    ))
}

/// Beredskap (on call at home) versus everything else, which is work.
fn read_kind(text: &str) -> Option<ShiftKind> {
    match text.trim().to_lowercase().as_str() {
        "" | "work" | "shift" | "arbete" | "pass" => Some(ShiftKind::Work),
        "on_call" | "on-call" | "on call" | "beredskap" => Some(ShiftKind::OnCall),
        _ => None,
    }
}

/// Imports a CSV roster: `employee` (email or external id), `starts_at`, `ends_at`, `kind`.
pub async fn import_csv(
    db: &DatabaseConnection,
    caller: &Caller,
    body: &[u8],
    dry_run: bool,
) -> AppResult<ShiftImportOutcome> {
    may_import(caller, Resource::Shifts)?;
    let actor = &caller.actor();
    let Table {
        headers,
        rows,
        mut errors,
    } = read_table(body)?;
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (Some(who), Some(start), Some(end)) =
        (column("employee"), column("starts_at"), column("ends_at"))
    else {
        let missing = ["employee", "starts_at", "ends_at"]
            .into_iter()
            .filter(|c| column(c).is_none())
            .map(|c| line_error(1, c, "required column is missing"))
            .collect();
        return Err(AppError::ImportRejected(missing));
    };
    let kind = column("kind");
    // Who is who: one query for every name in the file.
    let names: HashSet<String> = rows
        .iter()
        .map(|(_, r)| r.get(who).unwrap_or("").to_lowercase())
        .collect();
    let names: Vec<String> = names.into_iter().collect();
    let mut by_name: HashMap<String, Uuid> = HashMap::new();
    // People on weekly hours: their shifts are kept but do not count until they are
    // switched to shifts; the import says so rather than reporting them as done.
    let mut weekly: HashMap<Uuid, String> = HashMap::new();
    for chunk in names.chunks(500) {
        for e in employee::Entity::find()
            .filter(employee::Column::TenantId.eq(actor.tenant_id))
            .filter(
                Condition::any()
                    .add(employee::Column::Email.is_in(chunk.iter().cloned()))
                    .add(employee::Column::ExternalId.is_in(chunk.iter().cloned())),
            )
            .all(db)
            .await?
        {
            if e.schedule_mode == entities::vocab::ScheduleMode::Weekly {
                weekly.insert(e.id, e.email.clone());
            }
            by_name.insert(e.email.clone(), e.id);
            if let Some(external) = e.external_id {
                by_name.insert(external.to_lowercase(), e.id);
            }
        }
    }
    let ids: Vec<Uuid> = by_name
        .values()
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let book = ScheduleBook::load(db, actor.tenant_id, &ids, Utc::now()).await?;
    let mut warnings = Vec::new();
    let mut parsed = Vec::new();
    for (line, record) in rows {
        let name = record.get(who).unwrap_or("");
        let Some(&employee_id) = by_name.get(&name.to_lowercase()) else {
            errors.push(line_error(
                line,
                "employee",
                format!("no employee has the email or external id `{name}`"),
            ));
            continue;
        };
        let zone = book.zone(employee_id).unwrap_or(super::DEFAULT_ZONE);
        let mut time = |field: &str, index: usize| {
            let read = read_time(record.get(index).unwrap_or(""), zone);
            note_time(line, field, read, &mut warnings, &mut errors)
        };
        let (starts_at, ends_at) = (time("starts_at", start), time("ends_at", end));
        let shift_kind = if let Some(k) = read_kind(kind.and_then(|k| record.get(k)).unwrap_or(""))
        {
            Some(k)
        } else {
            errors.push(line_error(
                line,
                "kind",
                "must be work (shift, pass) or on_call (beredskap)",
            ));
            None
        };
        if let Some(email) = weekly.remove(&employee_id) {
            warnings.push(LineWarning {
                line,
                message: format!(
                    "{email} works weekly hours: their shifts are kept, but count only once \
                     their working time is switched to shifts"
                ),
            });
        }
        if let (Some(starts_at), Some(ends_at), Some(kind)) = (starts_at, ends_at, shift_kind) {
            parsed.push(Row {
                line,
                employee_id,
                starts_at,
                ends_at,
                kind,
            });
        }
    }
    check_and_write(db, actor, parsed, errors, warnings, dry_run).await
}

/// The instant of an iCalendar time: UTC as is, with a TZID in that zone, floating in the
/// employee's zone.
fn ical_time(
    value: Option<DatePerhapsTime>,
    zone: Tz,
) -> Result<(DateTime<Utc>, Option<String>), String> {
    match value {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(t))) => Ok((t, None)),
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Floating(local))) => {
            Ok(resolve_with_warning(zone, local))
        }
        Some(DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid })) => {
            let zone: Tz = tzid.parse().map_err(|_| format!("unknown TZID `{tzid}`"))?;
            Ok(resolve_with_warning(zone, date_time))
        }
        Some(DatePerhapsTime::Date(_)) => {
            Err("a whole-day event is not a shift; give a start and end time".to_owned())
        }
        None => Err("missing".to_owned()),
    }
}

/// Components nested deeper than this are refused: a real calendar nests three deep
/// (VCALENDAR > VTIMEZONE > STANDARD, VCALENDAR > VEVENT > VALARM).
pub const MAX_CALENDAR_DEPTH: usize = 8;
/// Components in one file: a year of one person's shifts is a few hundred.
pub const MAX_CALENDAR_COMPONENTS: usize = 10_000;

/// Counts the components and their nesting before the parser sees the file. The
/// `icalendar` parser recurses once per nesting level, so 20,000 nested `BEGIN:X` lines
/// overflow the worker's stack and abort the whole process: no panic handler can catch
/// that, so the shape is bounded first.
fn check_calendar_shape(unfolded: &str) -> AppResult<()> {
    let (mut depth, mut components) = (0usize, 0usize);
    for line in unfolded.lines() {
        let line = line.trim_end();
        let name = |prefix: &str| {
            line.get(..prefix.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        };
        if name("BEGIN:") {
            depth += 1;
            components += 1;
            if depth > MAX_CALENDAR_DEPTH {
                return Err(AppError::invalid(
                    "body",
                    format!("components are nested more than {MAX_CALENDAR_DEPTH} deep"),
                ));
            }
            if components > MAX_CALENDAR_COMPONENTS {
                return Err(AppError::invalid(
                    "body",
                    format!("the calendar has more than {MAX_CALENDAR_COMPONENTS} components"),
                ));
            }
        } else if name("END:") {
            depth = depth.saturating_sub(1);
        }
    }
    Ok(())
}

/// Imports one employee's roster from an iCalendar file: each VEVENT is a shift; one
/// whose SUMMARY or CATEGORIES says beredskap / on call is on call. Lines are those of
/// each event's `BEGIN:VEVENT`.
pub async fn import_ical(
    db: &DatabaseConnection,
    caller: &Caller,
    employee_id: Uuid,
    body: &[u8],
    dry_run: bool,
) -> AppResult<ShiftImportOutcome> {
    may_import(caller, Resource::Shifts)?;
    let actor = &caller.actor();
    crate::org::employees::find_in_tenant(db, actor.tenant_id, employee_id).await?;
    let text = std::str::from_utf8(body)
        .map_err(|_| AppError::BadRequest("the calendar is not UTF-8".to_owned()))?;
    let event_lines: Vec<u64> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_end() == "BEGIN:VEVENT")
        .map(|(i, _)| i as u64 + 1)
        .collect();
    let unfolded = icalendar::parser::unfold(text);
    check_calendar_shape(&unfolded)?;
    let calendar: icalendar::Calendar = icalendar::parser::read_calendar(&unfolded)
        .map_err(|e| {
            AppError::BadRequest(format!(
                "not an iCalendar file: {}",
                e.lines().next().unwrap_or("")
            ))
        })?
        .into();
    let book = ScheduleBook::load(db, actor.tenant_id, &[employee_id], Utc::now()).await?;
    let zone = book.zone(employee_id).unwrap_or(super::DEFAULT_ZONE);
    let (mut errors, mut warnings, mut parsed) = (Vec::new(), Vec::new(), Vec::new());
    let events = calendar.components.iter().filter_map(|c| match c {
        CalendarComponent::Event(event) => Some(event),
        _ => None,
    });
    for (index, event) in events.enumerate() {
        let line = event_lines.get(index).copied().unwrap_or(0);
        let mut time = |field: &str, value| {
            note_time(
                line,
                field,
                ical_time(value, zone),
                &mut warnings,
                &mut errors,
            )
        };
        let (starts_at, ends_at) = (
            time("DTSTART", event.get_start()),
            time("DTEND", event.get_end()),
        );
        let label = format!(
            "{} {}",
            event.get_summary().unwrap_or(""),
            event.property_value("CATEGORIES").unwrap_or("")
        )
        .to_lowercase();
        let kind = if label.contains("beredskap")
            || label.contains("on call")
            || label.contains("on-call")
        {
            ShiftKind::OnCall
        } else {
            ShiftKind::Work
        };
        if let (Some(starts_at), Some(ends_at)) = (starts_at, ends_at) {
            parsed.push(Row {
                line,
                employee_id,
                starts_at,
                ends_at,
                kind,
            });
        }
    }
    check_and_write(db, actor, parsed, errors, warnings, dry_run).await
}

/// Checks lengths and overlaps (in the file and with stored shifts), then writes all in
/// one transaction — or nothing.
async fn check_and_write(
    db: &DatabaseConnection,
    actor: &Actor,
    mut rows: Vec<Row>,
    mut errors: Vec<LineError>,
    warnings: Vec<LineWarning>,
    dry_run: bool,
) -> AppResult<ShiftImportOutcome> {
    rows.retain(|r| {
        if r.ends_at <= r.starts_at {
            errors.push(line_error(r.line, "ends_at", "must be after starts_at"));
            false
        } else if r.ends_at - r.starts_at > Duration::hours(LONGEST_SHIFT_HOURS) {
            errors.push(line_error(
                r.line,
                "ends_at",
                format!("a shift may last at most {LONGEST_SHIFT_HOURS} hours"),
            ));
            false
        } else {
            true
        }
    });
    rows.sort_by_key(|r| (r.employee_id, r.starts_at));
    for pair in rows.windows(2) {
        if pair[0].employee_id == pair[1].employee_id && pair[1].starts_at < pair[0].ends_at {
            errors.push(line_error(
                pair[1].line,
                "starts_at",
                format!("overlaps the shift on line {}", pair[0].line),
            ));
        }
    }
    if let (Some(first), Some(last)) = (
        rows.iter().map(|r| r.starts_at).min(),
        rows.iter().map(|r| r.ends_at).max(),
    ) {
        let employees: HashSet<Uuid> = rows.iter().map(|r| r.employee_id).collect();
        let stored = shift::Entity::find()
            .filter(shift::Column::TenantId.eq(actor.tenant_id))
            .filter(shift::Column::EmployeeId.is_in(employees))
            .filter(shift::Column::StartsAt.lt(last))
            .filter(shift::Column::EndsAt.gt(first))
            .all(db)
            .await?;
        for r in &rows {
            if let Some(o) = stored.iter().find(|o| {
                o.employee_id == r.employee_id && o.starts_at < r.ends_at && r.starts_at < o.ends_at
            }) {
                errors.push(line_error(
                    r.line,
                    "starts_at",
                    format!(
                        "overlaps the stored shift {} ({} to {})",
                        o.id, o.starts_at, o.ends_at
                    ),
                ));
            }
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(AppError::ImportRejected(errors));
    }
    let valid_rows = rows.len();
    if dry_run {
        return Ok(ShiftImportOutcome {
            created: 0,
            valid_rows,
            dry_run,
            warnings,
        });
    }
    let now = Utc::now();
    let models: Vec<shift::ActiveModel> = rows
        .iter()
        .map(|r| shift::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(actor.tenant_id),
            employee_id: Set(r.employee_id),
            starts_at: Set(r.starts_at),
            ends_at: Set(r.ends_at),
            kind: Set(r.kind),
            created_at: Set(now),
        })
        .collect();
    let snapshots: Vec<(Uuid, ShiftView)> = models
        .iter()
        .map(|m| {
            let view = ShiftView {
                id: *m.id.as_ref(),
                employee_id: *m.employee_id.as_ref(),
                starts_at: *m.starts_at.as_ref(),
                ends_at: *m.ends_at.as_ref(),
                kind: *m.kind.as_ref(),
            };
            (view.id, view)
        })
        .collect();
    let txn = crate::db::begin_write(db).await?;
    for chunk in models.chunks(500) {
        shift::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    audit::record_created_many(&txn, actor, "import", "shift", &snapshots).await?;
    let touched: std::collections::BTreeSet<Uuid> =
        snapshots.iter().map(|(_, s)| s.employee_id).collect();
    replan(
        &txn,
        actor.tenant_id,
        Affected::Employees(touched.into_iter().collect()),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(ShiftImportOutcome {
        created: valid_rows,
        valid_rows,
        dry_run,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_read_in_the_words_the_hint_and_rosters_use() {
        for work in ["", "work", "shift", "Shift", "arbete", "pass"] {
            assert_eq!(read_kind(work), Some(ShiftKind::Work), "{work}");
        }
        for on_call in ["on_call", "on-call", "On call", "beredskap"] {
            assert_eq!(read_kind(on_call), Some(ShiftKind::OnCall), "{on_call}");
        }
        assert_eq!(read_kind("semester"), None);
    }
}
