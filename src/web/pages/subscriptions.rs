//! The subscription list (filters, columns, export of exactly that query) and a
//! subscription's page (facts, allowed lifecycle actions, links, history).
use std::collections::HashMap;

use askama::Template;
use axum::{
    Form,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::Query;
use entities::subscription::Column;
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Chrome,
    list::{
        DoneQuery, Filter, ListPage, PageAsked, Row, chosen_columns, export_format, list_table,
        opt, page_asked, pager, parse_enum, parse_id, sort_of, sorted_view_query,
    },
    render,
    reports::shown,
};
use crate::{
    app::AppState,
    audit::HistoryItem,
    auth::{Access, Resource},
    downloads::respond,
    error::{AppError, AppResult},
    inventory::{
        devices,
        lifecycle::{Action, SubscriptionAction, SubscriptionStatus, allowed_actions},
        subscriptions::{self, AssignSubscription, SubscriptionFilter, SubscriptionView},
    },
    org::{employees, units::unit_names},
    pagination::{DEFAULT_LIMIT, MAX_LIMIT, Page, all_pages_from_cursors},
    reports::table::Cell,
    web::session::{Console, WebResult},
};

const COLUMNS: [&str; 8] = [
    "msisdn",
    "extension",
    "operator",
    "plan",
    "monthly_cost",
    "status",
    "holder",
    "iccid",
];
const DEFAULT_COLUMNS: usize = 7;

/// The columns the list sorts by, and the stored columns behind each.
const SORTABLE: [(&str, &[Column]); 2] = [
    ("msisdn", &[Column::Msisdn]),
    ("operator", &[Column::Operator, Column::Plan]),
];

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    cols: Vec<String>,
    /// A column to sort by, `-` before it for the other way (see `list::sort_of`).
    #[serde(default)]
    sort: String,
    cursor: Option<String>,
    /// The cursors of the pages before this one (see `list::pager`).
    back: Option<String>,
    format: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> Result<SubscriptionFilter, AppError> {
        Ok(SubscriptionFilter {
            status: parse_enum("status", &self.status)?,
            unit_id: parse_id("unit_id", &self.unit_id)?,
            q: opt(&self.q),
            ..Default::default()
        })
    }

    /// This view's query string, without the page cursor (for export and paging links),
    /// and without its sort (for the headings' links).
    fn view_query(&self) -> (String, String) {
        let filters = [
            ("q", self.q.as_str()),
            ("status", &self.status),
            ("unit_id", &self.unit_id),
        ];
        sorted_view_query(&filters, &self.sort, &self.cols)
    }

    /// A page of the view's subscriptions from `cursor`, in the order asked for.
    async fn page(
        &self,
        state: &AppState,
        cond: subscriptions::SubscriptionQuery,
        limit: u64,
        cursor: Option<String>,
    ) -> AppResult<Page<SubscriptionView>> {
        Ok(match page_asked(&self.sort, &SORTABLE, limit, cursor)? {
            PageAsked::Sorted(sort, page) => {
                subscriptions::list_subscriptions_sorted(&state.db, cond, &sort, &page).await?
            }
            PageAsked::InOrder(page) => {
                subscriptions::list_subscriptions(&state.db, cond, page).await?
            }
        })
    }
}

/// The caller's scope and the domain condition of the list's view (pages and exports).
async fn scoped_condition(
    state: &AppState,
    console: &Console,
    query: &ListQuery,
) -> WebResult<(crate::auth::UnitScope, subscriptions::SubscriptionQuery)> {
    let caller = &console.caller;
    let cond = subscriptions::list_condition(&state.db, caller, &query.filter()?).await?;
    Ok((caller.unit_scope(&state.db).await?, cond))
}

pub async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<ListQuery>,
) -> WebResult<Response> {
    let (scope, cond) = scoped_condition(&state, &console, &query).await?;
    let caller = &console.caller;
    let (_, mut sorting) = sort_of(&query.sort, None, &SORTABLE)?;
    let (page, total) = tokio::try_join!(
        query.page(&state, cond.clone(), DEFAULT_LIMIT, query.cursor.clone()),
        subscriptions::count_subscriptions(&state.db, cond),
    )?;
    let holders: Vec<Uuid> = page.items.iter().filter_map(|s| s.employee_id).collect();
    let people = employees::people_of(&state.db, caller.tenant_id, &holders).await?;
    let names = unit_names(&state.db, caller.tenant_id).await?;
    let c = Chrome::new(&console, "subscriptions-title", "nav-subscriptions");
    let columns = chosen_columns(&COLUMNS, DEFAULT_COLUMNS, &query.cols);
    let rows = page
        .items
        .iter()
        .zip(cells_of(&c, &columns, &page.items, &people))
        .map(|(s, cells)| Row {
            href: format!("/console/subscriptions/{}", s.id),
            cells: cells.iter().map(|cell| shown(&c, cell)).collect(),
        })
        .collect();
    let (view, unsorted) = query.view_query();
    sorting.base = unsorted;
    let filters = vec![
        Filter::search(
            "q",
            c.t("devices-search"),
            Some(c.t("subscriptions-search-hint")),
            &query.q,
        ),
        Filter::choice(
            "status",
            c.t("col-status"),
            &query.status,
            c.choices::<SubscriptionStatus>("subscription-status")
                .into_iter(),
        ),
        Filter::units(c.t("col-unit"), &query.unit_id, &names, &scope),
    ];
    ListPage {
        all_columns: COLUMNS
            .iter()
            .map(|col| (*col, c.word("col", col)))
            .collect(),
        caption: c.t("subscriptions-caption"),
        empty: c.t("subscriptions-none"),
        c,
        path: "/console/subscriptions",
        filters,
        columns,
        rows,
        pager: pager(
            "/console/subscriptions",
            &view,
            query.cursor.as_deref(),
            query.back.as_deref(),
            page.next_cursor,
        ),
        total: Some(total),
        export: Some(view),
        on_all: None,
        sorting: Some(sorting),
    }
    .render()
}

/// The chosen columns of each subscription, as the list shows them: words and names;
/// the monthly cost an amount (a number in the workbook).
fn cells_of(
    c: &Chrome,
    columns: &[&str],
    items: &[SubscriptionView],
    people: &HashMap<Uuid, (String, Uuid)>,
) -> Vec<Vec<Cell>> {
    items
        .iter()
        .map(|s| {
            columns
                .iter()
                .map(|col| match *col {
                    "msisdn" => Cell::Text(s.msisdn.clone()),
                    "extension" => Cell::Text(s.extension.clone().unwrap_or_default()),
                    "operator" => Cell::Text(s.operator.clone()),
                    "plan" => Cell::Text(s.plan.clone()),
                    "monthly_cost" => Cell::Money(Some(s.monthly_cost.ore())),
                    "status" => Cell::Text(c.term("subscription-status", &s.status)),
                    "holder" => Cell::Text(
                        s.employee_id
                            .and_then(|e| people.get(&e).map(|(name, _)| name.clone()))
                            .unwrap_or_default(),
                    ),
                    "iccid" => Cell::Text(s.iccid.clone().unwrap_or_default()),
                    _ => Cell::Text(String::new()),
                })
                .collect()
        })
        .collect()
}

/// Every subscription the list's view matches, as the list shows it (the chosen
/// columns, under their headings, in words), as a CSV for Excel in a Swedish locale or
/// a workbook. (`GET /api/v1/subscriptions?format=csv` gives the fields that import.)
pub async fn export(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<ListQuery>,
) -> WebResult<Response> {
    let format = export_format(query.format.as_deref())?;
    let (_, cond) = scoped_condition(&state, &console, &query).await?;
    let caller = &console.caller;
    let items =
        all_pages_from_cursors(|cursor| query.page(&state, cond.clone(), MAX_LIMIT, cursor))
            .await?;
    let holders: Vec<Uuid> = items.iter().filter_map(|s| s.employee_id).collect();
    let people = employees::people_of(&state.db, caller.tenant_id, &holders).await?;
    let c = Chrome::new(&console, "subscriptions-title", "nav-subscriptions");
    let columns = chosen_columns(&COLUMNS, DEFAULT_COLUMNS, &query.cols);
    let table = list_table(
        &c,
        "Abonnemang",
        &columns,
        cells_of(&c, &columns, &items, &people),
    );
    Ok(respond(Some(format), "subscriptions", &(), || table)?)
}

#[derive(Template)]
#[template(path = "subscription.html")]
struct SubscriptionPage {
    c: Chrome,
    s: SubscriptionView,
    holder: String,
    device: String,
    actions: Vec<&'static str>,
    history: Vec<HistoryItem>,
    status_kind: &'static str,
    done: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<Uuid>,
    Query(done): Query<DoneQuery>,
) -> WebResult<Response> {
    let caller = &console.caller;
    let (s, history) = subscriptions::subscription_history(&state.db, caller, id).await?;
    let people = employees::people_of(
        &state.db,
        caller.tenant_id,
        &s.employee_id.into_iter().collect::<Vec<_>>(),
    )
    .await?;
    let device = match s.device_id {
        // A device outside a manager's units is not named; any other error is an error.
        Some(device_id) => match devices::get_device(&state.db, caller, device_id).await {
            Ok(d) => format!("{} {} ({})", d.manufacturer, d.model, d.serial_number),
            Err(AppError::NotFound(_)) => String::new(),
            Err(e) => return Err(e.into()),
        },
        None => String::new(),
    };
    let status = s.status;
    let actions = if caller.may(Resource::Subscriptions, Access::Write).is_ok() {
        allowed_actions::<SubscriptionAction>(status)
    } else {
        Vec::new()
    };
    render(&SubscriptionPage {
        c: Chrome::new(&console, "subscription-title", "nav-subscriptions"),
        holder: s
            .employee_id
            .and_then(|e| people.get(&e).map(|(name, _)| name.clone()))
            .unwrap_or_default(),
        device,
        s,
        actions,
        history,
        status_kind: "subscription-status",
        done: done
            .done
            .filter(|d| SubscriptionAction::by_name(d).is_some()),
    })
}

#[derive(Deserialize, serde::Serialize)]
pub struct ActionForm {
    csrf: String,
    /// A name, e-mail address or employee number.
    #[serde(default)]
    employee: String,
    /// A serial number or IMEI.
    #[serde(default)]
    device_serial: String,
}

pub async fn act(
    State(state): State<AppState>,
    console: Console,
    Path((id, action)): Path<(Uuid, String)>,
    Form(form): Form<ActionForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let action = SubscriptionAction::by_name(&action).ok_or(AppError::NotFound("action"))?;
    let tenant_id = console.caller.tenant_id;
    let done = async {
        let links = if action == SubscriptionAction::Assign {
            // An empty field leaves that link as it is.
            let employee_id = match opt(&form.employee) {
                Some(who) => Some(Some(
                    employees::pick(&state.db, &console.caller, "employee", &who).await?,
                )),
                None => None,
            };
            let device_id = match opt(&form.device_serial) {
                Some(which) => Some(Some(
                    devices::find_by_serial_or_imei(&state.db, tenant_id, "device_serial", &which)
                        .await?,
                )),
                None => None,
            };
            Some(AssignSubscription {
                device_id,
                employee_id,
            })
        } else {
            None
        };
        subscriptions::apply_action(&state.db, &console.caller, id, action, links).await
    }
    .await;
    if let Err(err) = done {
        let page = format!("/console/subscriptions/{id}");
        let console = console.refused(err, &form, "", &page)?;
        let done = Query(DoneQuery { done: None });
        return crate::web::refused::drawn_again(show(State(state), console, Path(id), done)).await;
    }
    Ok(Redirect::to(&format!(
        "/console/subscriptions/{id}?done={}",
        action.name()
    ))
    .into_response())
}
