//! Working time in the console: the tenant's policy (zone, weekly hours, release
//! delay), holidays with "add Sweden's holidays for year N", a unit's or an employee's
//! own hours, and the shift import. Every change re-plans waiting notices, as the API's.
use askama::Template;
use axum::{
    extract::{Multipart, Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::Form;
use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Chrome, import::read_upload_fields, list::date_field, render};
use crate::web::refused::drawn_again;
use crate::{
    app::AppState,
    auth::Resource,
    error::{AppError, LineError},
    org::{employees, units},
    reachability::{
        holidays::swedish_holidays,
        pattern::{TimeRange, WorkingHours},
    },
    schedules::{
        changes,
        hours::{HoursInput, Owner},
        policy::Policy,
        shift_import,
    },
    web::session::{Console, WebResult},
};

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A day's ranges as the form shows them: `07:00-12:00, 13:00-16:00`.
fn day_text(ranges: &[TimeRange]) -> String {
    ranges
        .iter()
        .map(|r| format!("{}-{}", r.start, r.end))
        .collect::<Vec<_>>()
        .join(", ")
}

fn days_of(hours: &WorkingHours) -> Vec<(&'static str, String)> {
    let ranges = [
        &hours.mon, &hours.tue, &hours.wed, &hours.thu, &hours.fri, &hours.sat, &hours.sun,
    ];
    DAYS.iter()
        .zip(ranges)
        .map(|(day, r)| (*day, day_text(r)))
        .collect()
}

/// The week as typed into the form; the domain checks the clock times themselves.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct WeekForm {
    #[serde(default)]
    mon: String,
    #[serde(default)]
    tue: String,
    #[serde(default)]
    wed: String,
    #[serde(default)]
    thu: String,
    #[serde(default)]
    fri: String,
    #[serde(default)]
    sat: String,
    #[serde(default)]
    sun: String,
}

impl WeekForm {
    fn hours(&self) -> Result<WorkingHours, AppError> {
        let day = |name: &str, text: &str| -> Result<Vec<TimeRange>, AppError> {
            text.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| {
                    let (start, end) = t.split_once('-').ok_or_else(|| {
                        AppError::invalid(name, "write ranges as 07:00-16:00, separated by commas")
                    })?;
                    Ok(TimeRange {
                        start: start.trim().to_owned(),
                        end: end.trim().to_owned(),
                    })
                })
                .collect()
        };
        Ok(WorkingHours {
            mon: day("mon", &self.mon)?,
            tue: day("tue", &self.tue)?,
            wed: day("wed", &self.wed)?,
            thu: day("thu", &self.thu)?,
            fri: day("fri", &self.fri)?,
            sat: day("sat", &self.sat)?,
            sun: day("sun", &self.sun)?,
        })
    }
}

/// A shift import's answer: rows that passed (checked only, on a dry run) and warnings,
/// or every row error.
type ShiftImport = Result<(usize, bool, Vec<String>), Vec<LineError>>;

#[derive(Template)]
#[template(path = "working_time.html")]
struct WorkingTimePage {
    c: Chrome,
    policy: Policy,
    /// The holidays, each with its Swedish name when it is one of Sweden's.
    holidays: Vec<(NaiveDate, Option<&'static str>)>,
    days: Vec<(&'static str, String)>,
    year: i32,
    imported: Option<ShiftImport>,
}

async fn page(
    state: &AppState,
    console: &Console,
    imported: Option<ShiftImport>,
) -> WebResult<Response> {
    let policy = changes::get_policy(&state.db, &console.caller).await?;
    let status = match imported {
        Some(Err(_)) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let page = WorkingTimePage {
        c: Chrome::new(console, "working-time-title", "nav-working-time"),
        holidays: named(&policy.holidays),
        days: days_of(&policy.working_hours),
        year: state.clock.now().year() + 1,
        policy,
        imported,
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn show(State(state): State<AppState>, console: Console) -> WebResult<Response> {
    page(&state, &console, None).await
}

#[derive(Deserialize, Serialize)]
pub struct PolicyForm {
    csrf: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    release_delay_minutes: String,
    /// Ticked: managers may change their units' and people's hours.
    #[serde(default)]
    managers_edit_hours: Option<String>,
    #[serde(flatten)]
    week: WeekForm,
}

pub async fn save_policy(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<PolicyForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let saved = async {
        let current = changes::get_policy(&state.db, &console.caller).await?;
        let release_delay_minutes =
            form.release_delay_minutes.trim().parse().map_err(|_| {
                AppError::invalid("release_delay_minutes", "a whole number of minutes")
            })?;
        let policy = Policy {
            time_zone: form.time_zone.trim().to_owned(),
            working_hours: form.week.hours()?,
            holidays: current.holidays,
            release_delay_minutes,
            managers_edit_hours: form.managers_edit_hours.is_some(),
        };
        changes::put_policy(&state.db, &console.caller, policy, state.clock.now()).await
    }
    .await;
    match saved {
        Ok(_) => Ok(Redirect::to("/console/working-time#policy").into_response()),
        Err(err) => again(&state, console, err, &form).await,
    }
}

/// The working-time page again, with one of its forms refused.
async fn again(
    state: &AppState,
    console: Console,
    err: AppError,
    form: &impl Serialize,
) -> WebResult<Response> {
    let console = console.refused(err, form, "w-", "/console/working-time")?;
    drawn_again(page(state, &console, None)).await
}

#[derive(Deserialize, Serialize)]
pub struct HolidayForm {
    csrf: String,
    year: String,
}

pub async fn add_holidays(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<HolidayForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let added = async {
        let year = form
            .year
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("year", "a year, such as 2027"))?;
        changes::add_swedish_holidays(&state.db, &console.caller, year, state.clock.now()).await
    }
    .await;
    match added {
        Ok(_) => Ok(Redirect::to("/console/working-time#holidays").into_response()),
        Err(err) => again(&state, console, err, &form).await,
    }
}

#[derive(Deserialize, Serialize)]
pub struct DayForm {
    csrf: String,
    date: String,
}

/// One day made a holiday (`off`) or a working day again.
async fn set_holiday(
    state: &AppState,
    console: Console,
    form: &DayForm,
    off: bool,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let set = async {
        let date = date_field("date", &form.date)?
            .ok_or_else(|| AppError::invalid("date", "a date, YYYY-MM-DD"))?;
        changes::set_holiday(&state.db, &console.caller, date, off, state.clock.now()).await
    }
    .await;
    match set {
        Ok(_) => Ok(Redirect::to("/console/working-time#holidays").into_response()),
        Err(err) => again(state, console, err, form).await,
    }
}

pub async fn add_holiday(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<DayForm>,
) -> WebResult<Response> {
    set_holiday(&state, console, &form, true).await
}

pub async fn remove_holiday(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<DayForm>,
) -> WebResult<Response> {
    set_holiday(&state, console, &form, false).await
}

/// Each day with its name when it is one of Sweden's holidays of its year.
fn named(days: &[NaiveDate]) -> Vec<(NaiveDate, Option<&'static str>)> {
    let years: HashSet<i32> = days.iter().map(Datelike::year).collect();
    let names: HashMap<NaiveDate, &'static str> =
        years.into_iter().flat_map(swedish_holidays).collect();
    days.iter()
        .map(|day| (*day, names.get(day).copied()))
        .collect()
}

/// The shift import: a CSV of shifts (employee, start, end), dry run or for real.
pub async fn import_shifts(
    State(state): State<AppState>,
    console: Console,
    multipart: Multipart,
) -> WebResult<Response> {
    let (mut body, mut dry_run) = (Vec::new(), false);
    for (name, data) in read_upload_fields(&console, Resource::Shifts, multipart).await? {
        match name.as_str() {
            "dry_run" => dry_run = true,
            "file" => body = data.to_vec(),
            _ => {}
        }
    }
    let outcome = shift_import::import_csv(&state.db, &console.caller, &body, dry_run).await;
    let imported = match outcome {
        Ok(done) => Ok((
            if dry_run {
                done.valid_rows
            } else {
                done.created
            },
            dry_run,
            done.warnings
                .into_iter()
                .map(|w| format!("{}: {}", w.line, w.message))
                .collect(),
        )),
        Err(AppError::ImportRejected(errors)) => Err(errors),
        Err(AppError::BadRequest(message)) => Err(vec![LineError {
            line: 1,
            field: None,
            message,
        }]),
        Err(other) => return Err(other.into()),
    };
    page(&state, &console, Some(imported)).await
}

#[derive(Template)]
#[template(path = "hours.html")]
struct HoursPage {
    c: Chrome,
    kind: &'static str,
    id: Uuid,
    name: String,
    own: bool,
    time_zone: String,
    days: Vec<(&'static str, String)>,
    /// May change them (admins); managers see them only.
    editable: bool,
}

fn owner_of(kind: &str, id: Uuid) -> Result<(Owner, &'static str), AppError> {
    match kind {
        "units" => Ok((Owner::Unit(id), "units")),
        "employees" => Ok((Owner::Employee(id), "employees")),
        _ => Err(AppError::NotFound("page")),
    }
}

pub async fn hours(
    State(state): State<AppState>,
    console: Console,
    Path((kind, id)): Path<(String, Uuid)>,
) -> WebResult<Response> {
    let (owner, kind) = owner_of(&kind, id)?;
    let own = changes::get_hours(&state.db, &console.caller, owner).await?;
    let name = match owner {
        Owner::Unit(id) => units::get_unit(&state.db, &console.caller, id).await?.name,
        Owner::Employee(id) => {
            employees::get_employee(&state.db, &console.caller, id)
                .await?
                .name
        }
    };
    render(&HoursPage {
        editable: changes::may_set_hours(&state.db, &console.caller, owner)
            .await
            .is_ok(),
        c: Chrome::new(&console, "hours-title", "nav-working-time"),
        kind,
        id,
        name,
        own: own.is_some(),
        time_zone: own
            .as_ref()
            .and_then(|o| o.time_zone.clone())
            .unwrap_or_default(),
        days: days_of(&own.map(|o| o.working_hours).unwrap_or_default()),
    })
}

#[derive(Deserialize, Serialize)]
pub struct HoursForm {
    csrf: String,
    #[serde(default)]
    time_zone: String,
    /// `clear`: inherit again.
    #[serde(default)]
    step: String,
    #[serde(flatten)]
    week: WeekForm,
}

pub async fn save_hours(
    State(state): State<AppState>,
    console: Console,
    Path((kind, id)): Path<(String, Uuid)>,
    Form(form): Form<HoursForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let (owner, kind) = owner_of(&kind, id)?;
    let saved = async {
        let input = if form.step == "clear" {
            None
        } else {
            // The form shows the zone it has: a blank field means inherit.
            Some(HoursInput {
                working_hours: form.week.hours()?,
                time_zone: Some(Some(form.time_zone.trim().to_owned()).filter(|z| !z.is_empty())),
            })
        };
        changes::set_hours(&state.db, &console.caller, owner, input, state.clock.now()).await
    }
    .await;
    let here = format!("/console/hours/{kind}/{id}");
    match saved {
        Ok(_) => Ok(Redirect::to(&here).into_response()),
        Err(err) => {
            let console = console.refused(err, &form, "w-", &here)?;
            drawn_again(hours(State(state), console, Path((kind.to_owned(), id)))).await
        }
    }
}
