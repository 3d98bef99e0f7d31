//! `/console`: an admin's dashboard; other roles go to where their work starts.
use askama::Template;
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};

use super::{Chrome, render, sign_in::start_of};
use crate::{
    app::AppState,
    auth::AccessRole,
    inventory::{
        contracts::contracts_expiring_count,
        summary::{InventorySummary, inventory_summary},
    },
    reports::follow_up,
    web::{
        charts::{Bar, bar_chart},
        session::{Console, WebResult},
    },
};

/// Days ahead the dashboard looks for returns and agreements, as the reports default.
const RETURNS_DAYS: i64 = 30;
const CONTRACT_DAYS: i64 = 180;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    c: Chrome,
    summary: InventorySummary,
    chart: String,
    returns_due: i64,
    expiring: i64,
    unused: i64,
}

pub async fn home(State(state): State<AppState>, console: Console) -> WebResult<Response> {
    if console.caller.role != AccessRole::Admin {
        return Ok(Redirect::to(start_of(console.caller.role)).into_response());
    }
    let tenant_id = console.caller.tenant_id;
    let today = state.clock.now().date_naive();
    let summary = inventory_summary(&state.db, tenant_id).await?;
    // Counts, not the reports themselves: the report pages list the rows.
    let returns_due =
        follow_up::returns_due_count(&state.db, tenant_id, RETURNS_DAYS, today).await?;
    let expiring = contracts_expiring_count(&state.db, tenant_id, CONTRACT_DAYS, today).await?;
    let unused = follow_up::unused_subscriptions_count(&state.db, tenant_id, today).await?;
    let c = Chrome::new(&console, "dashboard-title", "nav-overview");
    let bars: Vec<Bar> = summary
        .devices
        .0
        .iter()
        .map(|(status, n)| Bar {
            label: c.word("device-status", status),
            value: *n,
            href: format!("/console/devices?status={status}"),
        })
        .collect();
    let lang = c.lang;
    let chart = bar_chart("devices-chart-title", &bars, |v| {
        crate::web::format::count(lang, v)
    });
    render(&Dashboard {
        c,
        chart,
        returns_due: returns_due as i64,
        expiring: expiring as i64,
        unused: unused as i64,
        summary,
    })
}
