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
    inventory::summary::InventorySummary,
    reports::cache,
    web::{
        charts::{Bar, bar_chart},
        session::{Console, WebResult},
    },
};

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
    let now = state.clock.now();
    // Counts, not the reports themselves: the report pages list the rows.
    let overview =
        cache::overview(&state.reports, &state.db, console.caller.tenant_id, now).await?;
    let summary = overview.inventory.clone();
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
        returns_due: overview.returns_due as i64,
        expiring: overview.contracts_expiring as i64,
        unused: overview.unused_subscriptions as i64,
        summary,
    })
}
