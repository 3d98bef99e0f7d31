//! `/console/reports/{name}`: the follow-up reports as tables on screen, with the same
//! figures as CSV or an Excel workbook — the tables the API's reports export.
use askama::Template;
use axum::{
    extract::{Path, Query, State},
    response::Response,
};
use serde::Deserialize;

use super::{Chrome, render};
use crate::downloads::{ReportFormat, respond};
use crate::{
    app::AppState,
    error::AppError,
    inventory::contracts::contracts_expiring,
    reports::{
        cache,
        table::{Cell, Table},
    },
    web::{
        format,
        session::{Console, WebResult},
    },
};

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    c: Chrome,
    name: String,
    columns: Vec<std::borrow::Cow<'static, str>>,
    rows: Vec<Vec<String>>,
    /// Rows in the report; more than are shown when it exceeds [`SHOWN_ROWS`].
    total: i64,
}

/// Rows a report shows on screen.
pub const SHOWN_ROWS: usize = 100;

#[derive(Deserialize)]
pub struct ReportQuery {
    format: Option<ReportFormat>,
}

/// A cell as the screen shows it (files keep plain numbers).
/// A cell as a page shows it, in the page's language.
pub(super) fn shown(c: &Chrome, cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => s.clone(),
        Cell::Id(id) => id.map(|i| i.to_string()).unwrap_or_default(),
        Cell::Int(n) => c.n(n),
        Cell::Money(ore) => ore
            .map(|o| format::money(c.lang, crate::money::Money(o)))
            .unwrap_or_default(),
        Cell::Number(n) => n
            .map(|n| match c.lang {
                crate::web::Lang::Sv => format!("{n:.1}").replace('.', ","),
                crate::web::Lang::En => format!("{n:.1}"),
            })
            .unwrap_or_default(),
        Cell::Date(d) => d.map(|d| d.to_string()).unwrap_or_default(),
    }
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(name): Path<String>,
    Query(query): Query<ReportQuery>,
) -> WebResult<Response> {
    let caller = &console.caller;
    let now = state.clock.now();
    let today = now.date_naive();
    let (file, table): (&str, Table) = match name.as_str() {
        "utilization" => (
            "anvandning",
            cache::utilization(&state.reports, &state.db, caller, 30, now)
                .await?
                .table(),
        ),
        "returns-due" => (
            "aterlamning",
            cache::returns_due(&state.reports, &state.db, caller, 30, now)
                .await?
                .table(),
        ),
        "unused-subscriptions" => (
            "oanvanda-abonnemang",
            cache::unused_subscriptions(&state.reports, &state.db, caller, now)
                .await?
                .table(),
        ),
        "contracts-expiring" => (
            "avtal-som-loper-ut",
            contracts_expiring(&state.db, caller, 180, today)
                .await?
                .table(),
        ),
        _ => return Err(AppError::NotFound("report").into()),
    };
    if let Some(format @ (ReportFormat::Csv | ReportFormat::Xlsx)) = query.format {
        return Ok(respond(Some(format), file, &(), || table)?);
    }
    let c = Chrome::new(&console, &format!("report-{name}"), "nav-overview");
    // A page stays light: the first rows on screen, every row in the downloads.
    let total = table.rows.len() as i64;
    let rows = table
        .rows
        .iter()
        .take(SHOWN_ROWS)
        .map(|row| row.iter().map(|cell| shown(&c, cell)).collect())
        .collect();
    render(&ReportPage {
        c,
        name,
        columns: table.columns,
        rows,
        total,
    })
}
