//! An employee's own page: my notices (acknowledge), my devices and numbers, when I am
//! next reachable, focus time, my push registrations. Only the employee sees it.
use askama::Template;
use axum::{
    Form,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::{Chrome, render};
use crate::{
    app::AppState,
    error::AppError,
    inventory::{devices, devices::DeviceView, subscriptions, subscriptions::SubscriptionView},
    notices::inbox::{self, InboxItem},
    org::employees,
    pagination::PageParams,
    push::registrations::{RegistrationView, list_registrations},
    reachability::Priority,
    schedules::{DEFAULT_ZONE, book::my_reachability, changes::change_focus, focus::Focus},
    web::{
        format::local_time,
        session::{Console, CsrfForm, WebResult},
    },
};

/// Focus lengths offered, in minutes (the domain allows up to twelve hours).
const FOCUS_MINUTES: [i64; 7] = [15, 30, 45, 60, 90, 120, 180];

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    c: Chrome,
    name: String,
    notices: Vec<InboxItem>,
    devices: Vec<DeviceView>,
    subscriptions: Vec<SubscriptionView>,
    registrations: Vec<RegistrationView>,
    /// "Reachable now", or when, with the reason.
    next_reachable: Option<String>,
    reachable_now: bool,
    reason: String,
    focus_until: Option<String>,
    focus_minutes: [i64; 7],
}

impl MePage {
    // The template calls it as `self.when(…)`.
    #[allow(clippy::unused_self)]
    fn when(&self, at: impl super::Plain<DateTime<Utc>>) -> String {
        local_time(at.plain(), DEFAULT_ZONE, false)
    }
}

pub async fn page(State(state): State<AppState>, console: Console) -> WebResult<Response> {
    let caller = &console.caller;
    let now = state.clock.now();
    let employee = employees::own(&state.db, caller).await?;
    let notices = inbox::my_notices(&state.db, caller, now, PageParams::default().request()?)
        .await?
        .items;
    let decision = my_reachability(&state.db, caller, Priority::Info, now).await?;
    let reachable_now = decision.deliver_at.is_some_and(|d| d <= now);
    render(&MePage {
        c: Chrome::new(&console, "me-title", "nav-me"),
        name: employee.name,
        notices,
        devices: devices::held_by_me(&state.db, caller).await?,
        subscriptions: subscriptions::held_by_me(&state.db, caller).await?,
        registrations: list_registrations(&state.db, caller).await?,
        next_reachable: decision
            .deliver_at
            .map(|d| local_time(d, DEFAULT_ZONE, true)),
        reachable_now,
        reason: sea_orm::ActiveEnum::to_value(&decision.reason),
        focus_until: employee
            .focus_until
            .filter(|f| *f > now)
            .map(|f| local_time(f, DEFAULT_ZONE, false)),
        focus_minutes: FOCUS_MINUTES,
    })
}

pub async fn acknowledge(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<Uuid>,
    Form(form): Form<CsrfForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    inbox::acknowledge(
        &state.db,
        &state.stops,
        &console.caller,
        id,
        state.clock.now(),
    )
    .await?;
    Ok(Redirect::to(&format!("/console/me#notice-{id}")).into_response())
}

#[derive(Deserialize, serde::Serialize)]
pub struct FocusForm {
    csrf: String,
    /// Minutes from now; empty or `end` ends focus time.
    #[serde(default)]
    minutes: String,
    /// Or until a clock time (`14:30`, Swedish time): the next time it is that.
    #[serde(default)]
    until: String,
}

/// The next moment it is `clock` (`HH:MM`) in `zone` after `now`: today, or tomorrow
/// when today's has passed. `None` for a time that is not one, or one the clocks skip.
fn next_clock_time(
    clock: &str,
    now: chrono::DateTime<chrono::Utc>,
    zone: chrono_tz::Tz,
) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::TimeZone;
    let time = chrono::NaiveTime::parse_from_str(clock.trim(), "%H:%M").ok()?;
    let today = now.with_timezone(&zone).date_naive();
    [today, today.succ_opt()?].into_iter().find_map(|day| {
        zone.from_local_datetime(&day.and_time(time))
            .earliest()
            .map(|at| at.with_timezone(&chrono::Utc))
            .filter(|at| *at > now)
    })
}

pub async fn focus(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<FocusForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let now = state.clock.now();
    let changed = async {
        let focus = match form.minutes.as_str() {
            _ if !form.until.trim().is_empty() => Some(Focus {
                until: next_clock_time(&form.until, now, DEFAULT_ZONE)
                    .ok_or_else(|| AppError::invalid("until", "give a time such as 14:30"))?,
            }),
            "" | "end" => None,
            minutes => {
                // Bounded before any arithmetic: a huge number overflowed the time (a
                // 500); the domain then checks the length against its own limit.
                let longest = crate::schedules::focus::LONGEST_FOCUS_HOURS * 60;
                let minutes: i64 = minutes
                    .parse()
                    .ok()
                    .filter(|m| (1..=longest).contains(m))
                    .ok_or_else(|| {
                        AppError::invalid(
                            "minutes",
                            format!("choose how long, at most {longest} minutes"),
                        )
                    })?;
                Some(Focus {
                    until: now + Duration::minutes(minutes),
                })
            }
        };
        change_focus(&state.db, &console.caller, focus, now).await
    }
    .await;
    if let Err(err) = changed {
        let console = console.refused(err, &form, "", "/console/me")?;
        return crate::web::refused::drawn_again(page(State(state), console)).await;
    }
    Ok(Redirect::to("/console/me#focus").into_response())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn focus_until_a_clock_time_is_its_next_occurrence() {
        // 12:00 in Stockholm (winter, UTC+1).
        let now = Utc.with_ymd_and_hms(2026, 1, 15, 11, 0, 0).unwrap();
        assert_eq!(
            next_clock_time("14:30", now, DEFAULT_ZONE),
            Some(Utc.with_ymd_and_hms(2026, 1, 15, 13, 30, 0).unwrap())
        );
        // Passed today: tomorrow.
        assert_eq!(
            next_clock_time("09:00", now, DEFAULT_ZONE),
            Some(Utc.with_ymd_and_hms(2026, 1, 16, 8, 0, 0).unwrap())
        );
        assert_eq!(next_clock_time("25:00", now, DEFAULT_ZONE), None);
        assert_eq!(next_clock_time("soon", now, DEFAULT_ZONE), None);
        // 29 March 2026: 02:30 does not happen in Stockholm; the next one is the 30th.
        let night = Utc.with_ymd_and_hms(2026, 3, 28, 23, 0, 0).unwrap();
        assert_eq!(
            next_clock_time("02:30", night, DEFAULT_ZONE),
            Some(Utc.with_ymd_and_hms(2026, 3, 30, 0, 30, 0).unwrap())
        );
    }
}
