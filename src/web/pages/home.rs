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
        lifecycle::SubscriptionStatus,
        summary::{InventorySummary, StatusCounts},
    },
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
    /// Per status: the stored word (for the list's filter), in words, how many.
    devices: Vec<(String, String, i64)>,
    subscriptions: Vec<(String, String, i64)>,
    active_subscriptions: i64,
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
    let devices = counted(&c, "device-status", &summary.devices);
    let bars: Vec<Bar> = devices
        .iter()
        .map(|(status, label, n)| Bar {
            label: label.clone(),
            value: *n,
            href: format!("/console/devices?status={status}"),
        })
        .collect();
    let lang = c.lang;
    let chart = bar_chart("devices-chart-title", &bars, |v| {
        crate::web::format::count(lang, v)
    });
    render(&Dashboard {
        subscriptions: counted(&c, "subscription-status", &summary.subscriptions),
        active_subscriptions: summary.subscriptions.get(SubscriptionStatus::Active),
        devices,
        c,
        chart,
        returns_due: overview.returns_due as i64,
        expiring: overview.contracts_expiring as i64,
        unused: overview.unused_subscriptions as i64,
        summary,
    })
}

/// Each status's stored word, its words and its count.
fn counted<S>(c: &Chrome, prefix: &str, counts: &StatusCounts<S>) -> Vec<(String, String, i64)>
where
    S: sea_orm::ActiveEnum<Value = String>,
{
    counts
        .0
        .iter()
        .map(|(status, n)| (status.to_value(), c.term(prefix, status), *n))
        .collect()
}
