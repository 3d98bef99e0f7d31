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
        after_hours, cache, follow_up,
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
    /// The headings of the columns shown, in words.
    columns: Vec<String>,
    /// Each row's link (to the person, device, subscription it is about) and cells.
    rows: Vec<(Option<String>, Vec<String>)>,
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
        "after-hours" => (
            "utanfor-arbetstid",
            after_hours::after_hours(&state.db, caller, now - chrono::Duration::days(30), now)
                .await?
                .table(),
        ),
        "schedule-gaps" => (
            "schemaluckor",
            follow_up::schedule_gaps(&state.db, caller, 7, now)
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
    // Ids are for the files; on screen a row links to what it is about instead.
    let shown_columns: Vec<usize> = (0..table.columns.len())
        .filter(|i| !table.columns[*i].ends_with("_id"))
        .collect();
    let rows = table
        .rows
        .iter()
        .take(SHOWN_ROWS)
        .map(|row| {
            let cells = shown_columns.iter().map(|i| shown(&c, &row[*i])).collect();
            (link_of(&table.columns, row), cells)
        })
        .collect();
    render(&ReportPage {
        columns: shown_columns
            .iter()
            .map(|i| heading(&c, &table.columns[*i]))
            .collect(),
        c,
        name,
        rows,
        total,
    })
}

/// A report column's heading in the page's language (`col-<name>`), or its name when
/// the language files have none.
fn heading(c: &Chrome, column: &str) -> String {
    c.lang
        .try_t(&format!("col-{}", column.replace('_', "-")))
        .unwrap_or_else(|| column.to_owned())
}

/// The console page of what a report row is about: the first of its person, device,
/// subscription that it names.
fn link_of(columns: &[std::borrow::Cow<'static, str>], row: &[Cell]) -> Option<String> {
    let id = |name: &str| {
        columns
            .iter()
            .position(|c| c == name)
            .and_then(|i| match &row[i] {
                Cell::Id(Some(id)) => Some(*id),
                _ => None,
            })
    };
    [
        ("employee_id", "employees"),
        ("device_id", "devices"),
        ("subscription_id", "subscriptions"),
    ]
    .into_iter()
    .find_map(|(column, page)| id(column).map(|id| format!("/console/{page}/{id}")))
}
