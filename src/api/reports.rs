//! `/reports/*` follow-up reports. Every report answers JSON, `?format=csv` or
//! `?format=xlsx`; managers see their units.
use axum::{extract::State, response::Response};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ApiQuery;
use crate::downloads::{FormatQuery, respond};
use crate::{
    app::AppState,
    auth::Caller,
    error::{AppError, AppResult},
    inventory::contracts::{self, ExpiringContracts},
    reports::{
        after_hours::{self, AfterHours},
        cache,
        follow_up::{self, ReturnsDue, ScheduleGaps, UnusedSubscriptions, Utilization},
    },
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(utilization))
        .routes(routes!(unused_subscriptions))
        .routes(routes!(returns_due))
        .routes(routes!(contracts_expiring))
        .routes(routes!(after_hours_report))
        .routes(routes!(schedule_gaps))
}

/// The longest window a cached report looks at. Each value is a report of its own in the
/// report cache, computed over the whole tenant on a miss: a year covers every follow-up
/// question, and keeps one caller from filling the cache with thousands of windows.
const MAX_REPORT_DAYS: i64 = 365;
/// Framework agreements run for years and are read straight from their table: their
/// notice dates may be looked for two years ahead.
const MAX_CONTRACT_DAYS: i64 = 730;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Days {
    /// How many days (1–365); each report has its own default.
    #[param(minimum = 1, maximum = 365)]
    days: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ContractDays {
    /// How many days ahead (1–730, default 180).
    #[param(minimum = 1, maximum = 730)]
    days: Option<i64>,
}

/// `days`, or the report's default, within 1..=max.
fn days_within(days: Option<i64>, default: i64, max: i64) -> AppResult<i64> {
    let days = days.unwrap_or(default);
    if (1..=max).contains(&days) {
        Ok(days)
    } else {
        Err(AppError::invalid(
            "days",
            format!("must be between 1 and {max}"),
        ))
    }
}

impl Days {
    fn get(&self, default: i64) -> AppResult<i64> {
        days_within(self.days, default, MAX_REPORT_DAYS)
    }
}

/// Per unit: organization devices assigned, how many were used (a push registration
/// created or refreshed) in `days` (default 30), and what their subscriptions cost.
#[utoipa::path(get, path = "/reports/utilization", tag = "reports", params(Days, FormatQuery),
    responses((status = 200, description = "The report; with `?format=csv` or `?format=xlsx`, as a file",
        content((Utilization = "application/json"), (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
async fn utilization(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(days): ApiQuery<Days>,
    ApiQuery(format): ApiQuery<FormatQuery>,
) -> AppResult<Response> {
    let days = days.get(30)?;
    let report =
        cache::utilization(&state.reports, &state.db, &caller, days, state.clock.now()).await?;
    respond(format.format, "anvandning", &report, || report.table())
}

/// Active subscriptions that cost money for nothing, and what a year of them costs.
#[utoipa::path(get, path = "/reports/unused-subscriptions", tag = "reports", params(FormatQuery),
    responses((status = 200, description = "The report; with `?format=csv` or `?format=xlsx`, as a file",
        content((UnusedSubscriptions = "application/json"), (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
async fn unused_subscriptions(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(format): ApiQuery<FormatQuery>,
) -> AppResult<Response> {
    let report =
        cache::unused_subscriptions(&state.reports, &state.db, &caller, state.clock.now()).await?;
    respond(format.format, "oanvanda-abonnemang", &report, || {
        report.table()
    })
}

/// Devices and subscriptions to take back from people whose employment ends within
/// `days` (default 30) or has ended.
#[utoipa::path(get, path = "/reports/returns-due", tag = "reports", params(Days, FormatQuery),
    responses((status = 200, description = "The report; with `?format=csv` or `?format=xlsx`, as a file",
        content((ReturnsDue = "application/json"), (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
async fn returns_due(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(days): ApiQuery<Days>,
    ApiQuery(format): ApiQuery<FormatQuery>,
) -> AppResult<Response> {
    let days = days.get(30)?;
    let report =
        cache::returns_due(&state.reports, &state.db, &caller, days, state.clock.now()).await?;
    respond(format.format, "aterlamning", &report, || report.table())
}

/// Framework agreements whose notice date falls within `days` (default 180), soonest
/// first.
#[utoipa::path(get, path = "/reports/contracts-expiring", tag = "reports", params(ContractDays, FormatQuery),
    responses((status = 200, description = "The report; with `?format=csv` or `?format=xlsx`, as a file",
        content((ExpiringContracts = "application/json"), (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
async fn contracts_expiring(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(days): ApiQuery<ContractDays>,
    ApiQuery(format): ApiQuery<FormatQuery>,
) -> AppResult<Response> {
    let days = days_within(days.days, 180, MAX_CONTRACT_DAYS)?;
    let report =
        contracts::contracts_expiring(&state.db, &caller, days, state.clock.now().date_naive())
            .await?;
    respond(format.format, "avtal", &report, || report.table())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Period {
    /// Default 30 days before `to`.
    from: Option<DateTime<Utc>>,
    /// Default now.
    to: Option<DateTime<Utc>>,
}

/// Contacts outside working time in `[from, to)`, per sender and per unit.
#[utoipa::path(get, path = "/reports/after-hours", tag = "reports", params(Period, FormatQuery),
    responses((status = 200, description = "The report; with `?format=csv` or `?format=xlsx`, as a file",
        content((AfterHours = "application/json"), (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
async fn after_hours_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(period): ApiQuery<Period>,
    ApiQuery(format): ApiQuery<FormatQuery>,
) -> AppResult<Response> {
    let to = period.to.unwrap_or_else(|| state.clock.now());
    let from = period.from.unwrap_or(to - Duration::days(30));
    if from >= to {
        return Err(AppError::invalid("from", "must be before to"));
    }
    if to - from > Duration::days(400) {
        return Err(AppError::invalid("from", "a period is at most 400 days"));
    }
    let report = after_hours::after_hours(&state.db, &caller, from, to).await?;
    respond(format.format, "utanfor-arbetstid", &report, || {
        report.table()
    })
}

/// Shift workers with no work shift in the next `days` (default 7).
#[utoipa::path(get, path = "/reports/schedule-gaps", tag = "reports", params(Days, FormatQuery),
    responses((status = 200, description = "The report; with `?format=csv` or `?format=xlsx`, as a file",
        content((ScheduleGaps = "application/json"), (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
async fn schedule_gaps(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(days): ApiQuery<Days>,
    ApiQuery(format): ApiQuery<FormatQuery>,
) -> AppResult<Response> {
    let days = days.get(7)?;
    let report = follow_up::schedule_gaps(&state.db, &caller, days, state.clock.now()).await?;
    respond(format.format, "schemaluckor", &report, || report.table())
}
