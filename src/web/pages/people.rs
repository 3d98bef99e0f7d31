//! Employees and units: lists with filters and a column chooser, and an employee's page
//! (facts, what they hold, when they are next reachable).
use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::{
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::Query;
use entities::employee::Column as EmployeeColumn;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    Chrome,
    list::{
        Filter, ListPage, Pager, Row, by_name, chosen_columns, date_field, opt, pager, parse_enum,
        parse_id, sort_of, sorted_view_query, unit_options,
    },
    render,
};
use crate::web::refused::drawn_again;
use crate::{
    app::AppState,
    auth::{Access, Resource},
    error::AppError,
    inventory::{devices, devices::DeviceView, subscriptions, subscriptions::SubscriptionView},
    org::{
        employees::{
            self, EmployeeFilter, EmployeePatch, EmployeeView, EmploymentType, NewEmployee,
        },
        roles::role_names,
        units::{
            NewUnit, UnitPatch, UnitView, all_visible, create_unit as create_unit_in, get_unit,
            unit_names, update_unit as update_unit_in,
        },
    },
    pagination::{
        DEFAULT_LIMIT,
        sorted::{SortBy, SortedRequest},
    },
    reachability::Priority,
    schedules::{DEFAULT_ZONE, book::employee_reachability, changes},
    web::{
        format::local_time,
        session::{Console, WebResult},
    },
};

const EMPLOYEE_COLUMNS: [&str; 7] = [
    "name",
    "email",
    "unit",
    "role",
    "employment_type",
    "employment_ends_on",
    "external_id",
];

/// The columns the people list sorts by; by name unless asked otherwise.
const SORTABLE: [(&str, &[EmployeeColumn]); 2] = [
    ("name", &[EmployeeColumn::Name]),
    ("email", &[EmployeeColumn::Email]),
];

#[derive(Clone, Debug, Default, Deserialize)]
pub struct EmployeeQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    role_id: String,
    #[serde(default)]
    employment_type: String,
    #[serde(default)]
    cols: Vec<String>,
    /// A column to sort by, `-` before it for the other way (see `list::sort_of`).
    #[serde(default)]
    sort: String,
    cursor: Option<String>,
    /// The cursors of the pages before this one (see `list::pager`).
    back: Option<String>,
}

pub async fn employees(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<EmployeeQuery>,
) -> WebResult<Response> {
    let caller = &console.caller;
    let filter = EmployeeFilter {
        unit_id: parse_id("unit_id", &query.unit_id)?,
        role_id: parse_id("role_id", &query.role_id)?,
        employment_type: parse_enum("employment_type", &query.employment_type)?,
        q: opt(&query.q),
    };
    let cond = employees::list_condition(&state.db, caller, &filter).await?;
    let (sort, mut sorting) = sort_of(&query.sort, Some("name"), &SORTABLE)?;
    let sort = sort.unwrap_or(SortBy {
        columns: vec![EmployeeColumn::Name],
        descending: false,
    });
    let page = SortedRequest::after(DEFAULT_LIMIT, query.cursor.as_deref(), sort.columns.len())?;
    let (page, total) = tokio::try_join!(
        employees::list_employees_sorted(&state.db, cond.clone(), &sort, &page),
        employees::count_employees(&state.db, cond),
    )?;
    let scope = caller.unit_scope(&state.db).await?;
    let units = unit_names(&state.db, caller.tenant_id).await?;
    let roles = role_names(&state.db, caller.tenant_id).await?;
    let c = Chrome::new(&console, "employees-title", "nav-employees");
    let columns = chosen_columns(&EMPLOYEE_COLUMNS, 5, &query.cols);
    let rows = page
        .items
        .iter()
        .map(|e| Row {
            href: format!("/console/employees/{}", e.id),
            cells: columns
                .iter()
                .map(|col| match *col {
                    "name" => e.name.clone(),
                    "email" => e.email.clone(),
                    "unit" => units.get(&e.unit_id).cloned().unwrap_or_default(),
                    "role" => roles.get(&e.role_id).cloned().unwrap_or_default(),
                    "employment_type" => c.term("employment", &e.employment_type),
                    "employment_ends_on" => e
                        .employment_ends_on
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                    "external_id" => e.external_id.clone().unwrap_or_default(),
                    _ => String::new(),
                })
                .collect(),
        })
        .collect();
    let filters = [
        ("q", query.q.as_str()),
        ("unit_id", &query.unit_id),
        ("role_id", &query.role_id),
        ("employment_type", &query.employment_type),
    ];
    let (view, unsorted) = sorted_view_query(&filters, &query.sort, &query.cols);
    sorting.base = unsorted;
    let role_options = by_name(roles.iter())
        .into_iter()
        .map(|(id, n)| (id.to_string(), n));
    let (admin, new_label) = (c.admin, c.t("employee-new-title"));
    let filters = vec![
        Filter::search(
            "q",
            c.t("devices-search"),
            Some(c.t("employees-search-hint")),
            &query.q,
        ),
        Filter::units(c.t("col-unit"), &query.unit_id, &units, &scope),
        Filter::choice("role_id", c.t("col-role"), &query.role_id, role_options),
        Filter::choice(
            "employment_type",
            c.t("col-employment-type"),
            &query.employment_type,
            c.choices::<EmploymentType>("employment").into_iter(),
        ),
    ];
    ListPage {
        all_columns: EMPLOYEE_COLUMNS
            .iter()
            .map(|col| (*col, c.word("col", col)))
            .collect(),
        caption: c.t("employees-caption"),
        empty: c.t("employees-none"),
        c,
        path: "/console/employees",
        filters,
        columns,
        rows,
        pager: pager(
            "/console/employees",
            &view,
            query.cursor.as_deref(),
            query.back.as_deref(),
            page.next_cursor,
        ),
        total: Some(total),
        export: None,
        on_all: admin.then(|| ("/console/employees/new".to_owned(), new_label)),
        sorting: Some(sorting),
    }
    .render()
}

#[derive(Template)]
#[template(path = "employee.html")]
struct EmployeePage {
    c: Chrome,
    e: EmployeeView,
    unit: String,
    role: String,
    /// For the admin's edit form.
    units: Vec<(Uuid, String)>,
    roles: Vec<(Uuid, String)>,
    /// Employment types: (stored word, in words).
    types: Vec<(String, String)>,
    /// The person's employment type: (stored word, in words).
    employment: (String, String),
    devices: Vec<DeviceView>,
    subscriptions: Vec<SubscriptionView>,
    next_reachable: Option<String>,
    reason: String,
    /// Just handed a device out from this page.
    handed_out: bool,
    /// Where their working time comes from: (stored word, in words), and the choices.
    schedule: (String, String),
    schedules: Vec<(String, String)>,
    /// Their shifts in the next two weeks, for those who may see shifts: (from, to,
    /// kind in words), local time.
    shifts: Option<Vec<(String, String, String)>>,
    /// Their own weekly hours may be read here (admins, their managers).
    hours_link: bool,
}

pub async fn employee(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<Uuid>,
    Query(done): Query<super::list::DoneQuery>,
) -> WebResult<Response> {
    let caller = &console.caller;
    let e = employees::get_employee(&state.db, caller, id).await?;
    let now = state.clock.now();
    let decision = employee_reachability(&state.db, caller, id, Priority::Info, now).await?;
    let units = unit_names(&state.db, caller.tenant_id).await?;
    let roles = role_names(&state.db, caller.tenant_id).await?;
    let c = Chrome::new(&console, "employee-title", "nav-employees");
    let shifts = if caller.may(Resource::Shifts, Access::Read).is_ok() {
        let next_two_weeks = crate::schedules::shifts::ShiftRange {
            from: Some(now),
            to: Some(now + chrono::Duration::days(14)),
        };
        let listed = changes::list_shifts(&state.db, caller, id, &next_two_weeks).await?;
        Some(
            listed
                .iter()
                .map(|s| {
                    (
                        local_time(s.starts_at, DEFAULT_ZONE, true),
                        local_time(s.ends_at, DEFAULT_ZONE, true),
                        c.term("shift-kind", &s.kind),
                    )
                })
                .collect(),
        )
    } else {
        None
    };
    render(&EmployeePage {
        schedule: (
            sea_orm::ActiveEnum::to_value(&e.schedule_mode),
            c.term("schedule-mode", &e.schedule_mode),
        ),
        schedules: c.choices::<crate::reachability::ScheduleMode>("schedule-mode"),
        shifts,
        hours_link: caller.may(Resource::WorkingHours, Access::Read).is_ok(),
        types: c.choices::<EmploymentType>("employment"),
        employment: (
            sea_orm::ActiveEnum::to_value(&e.employment_type),
            c.term("employment", &e.employment_type),
        ),
        c,
        unit: units.get(&e.unit_id).cloned().unwrap_or_default(),
        role: roles.get(&e.role_id).cloned().unwrap_or_default(),
        units: unit_options(&units, &crate::auth::UnitScope::Tenant),
        roles: by_name(roles.iter()),
        devices: devices::held_by(&state.db, caller.tenant_id, id).await?,
        subscriptions: subscriptions::held_by(&state.db, caller.tenant_id, id).await?,
        next_reachable: decision
            .deliver_at
            .map(|d| local_time(d, DEFAULT_ZONE, true)),
        reason: sea_orm::ActiveEnum::to_value(&decision.reason),
        handed_out: done.done.as_deref() == Some("hand-out"),
        e,
    })
}

/// The units as a tree: each under the one it belongs to, siblings in natural order
/// ("Avd 2" before "Avd 10"), the depth shown by indenting the name.
pub async fn units(State(state): State<AppState>, console: Console) -> WebResult<Response> {
    let caller = &console.caller;
    let all = all_visible(&state.db, caller).await?;
    let names: HashMap<Uuid, String> = all.iter().map(|u| (u.id, u.name.clone())).collect();
    let c = Chrome::new(&console, "units-title", "nav-units");
    let admin = c.admin;
    let new_label = c.t("unit-new-title");
    let columns = vec!["name", "parent", "cost_center"];
    let rows = unit_tree(&all)
        .into_iter()
        .map(|(u, depth)| Row {
            // Admins edit the unit (and reach its hours) there; managers go to the
            // unit's devices.
            href: if admin {
                format!("/console/units/{}", u.id)
            } else {
                format!("/console/devices?unit_id={}", u.id)
            },
            cells: vec![
                format!("{}{}", "\u{2003}".repeat(depth), u.name),
                u.parent_id
                    .and_then(|p| names.get(&p).cloned())
                    .unwrap_or_default(),
                u.cost_center.clone().unwrap_or_default(),
            ],
        })
        .collect();
    ListPage {
        all_columns: columns
            .iter()
            .map(|col| (*col, c.word("col", col)))
            .collect(),
        caption: c.t("units-caption"),
        empty: c.t("units-none"),
        c,
        path: "/console/units",
        filters: Vec::new(),
        columns,
        rows,
        pager: Pager::default(),
        total: Some(all.len() as u64),
        export: None,
        on_all: admin.then(|| ("/console/units/new".to_owned(), new_label)),
        sorting: None,
    }
    .render()
}

/// `units` depth first, each with its depth: roots (and units whose parent the caller
/// cannot see) at 0, siblings in natural order.
fn unit_tree(units: &[UnitView]) -> Vec<(&UnitView, usize)> {
    let known: HashSet<Uuid> = units.iter().map(|u| u.id).collect();
    let mut children: HashMap<Option<Uuid>, Vec<&UnitView>> = HashMap::new();
    for u in units {
        let parent = u.parent_id.filter(|p| known.contains(p));
        children.entry(parent).or_default().push(u);
    }
    for siblings in children.values_mut() {
        siblings.sort_by(|a, b| crate::web::collate::compare(&a.name, &b.name));
    }
    let mut ordered = Vec::with_capacity(units.len());
    let mut stack: Vec<(&UnitView, usize)> = children
        .get(&None)
        .map(|roots| roots.iter().rev().map(|u| (*u, 0)).collect())
        .unwrap_or_default();
    while let Some((unit, depth)) = stack.pop() {
        ordered.push((unit, depth));
        if let Some(below) = children.get(&Some(unit.id)) {
            stack.extend(below.iter().rev().map(|u| (*u, depth + 1)));
        }
    }
    ordered
}

#[derive(Template)]
#[template(path = "employee_new.html")]
struct NewEmployeePage {
    c: Chrome,
    units: Vec<(Uuid, String)>,
    roles: Vec<(Uuid, String)>,
    /// Employment types: (stored word, in words).
    types: Vec<(String, String)>,
}

/// The form for a new person: for those who may add one.
pub async fn new_employee(State(state): State<AppState>, console: Console) -> WebResult<Response> {
    console.caller.may(Resource::Employees, Access::Write)?;
    let tenant_id = console.caller.tenant_id;
    let units = unit_names(&state.db, tenant_id).await?;
    let roles = role_names(&state.db, tenant_id).await?;
    let c = Chrome::new(&console, "employee-new-title", "nav-employees");
    render(&NewEmployeePage {
        types: c.choices::<EmploymentType>("employment"),
        c,
        units: unit_options(&units, &crate::auth::UnitScope::Tenant),
        roles: by_name(roles.iter()),
    })
}

#[derive(Deserialize, Serialize)]
pub struct NewEmployeeForm {
    csrf: String,
    name: String,
    email: String,
    unit_id: String,
    role_id: String,
    employment_type: String,
    #[serde(default)]
    employment_ends_on: String,
    #[serde(default)]
    external_id: String,
}

/// An admin adds one person (many come by import); the domain checks the fields.
pub async fn create_employee(
    State(state): State<AppState>,
    console: Console,
    axum::Form(form): axum::Form<NewEmployeeForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let created = async {
        let required = |field: &'static str, value: &str| {
            parse_id(field, value)?.ok_or_else(|| AppError::invalid(field, "choose one"))
        };
        let input = NewEmployee {
            name: form.name.clone(),
            email: form.email.clone(),
            unit_id: required("unit_id", &form.unit_id)?,
            role_id: required("role_id", &form.role_id)?,
            employment_type: parse_enum("employment_type", &form.employment_type)?
                .ok_or_else(|| AppError::invalid("employment_type", "choose one"))?,
            employment_ends_on: date_field("employment_ends_on", &form.employment_ends_on)?,
            external_id: opt(&form.external_id),
        };
        employees::create_employee(&state.db, &console.caller, input).await
    }
    .await;
    match created {
        Ok(created) => {
            Ok(Redirect::to(&format!("/console/employees/{}", created.id)).into_response())
        }
        Err(err) => {
            let console = console.refused(err, &form, "n-", "/console/employees/new")?;
            drawn_again(new_employee(State(state), console)).await
        }
    }
}

#[derive(Deserialize, Serialize)]
pub struct EmployeeForm {
    csrf: String,
    unit_id: String,
    role_id: String,
    employment_type: String,
    #[serde(default)]
    employment_ends_on: String,
    /// `weekly` or `shifts` (absent: unchanged).
    #[serde(default)]
    schedule_mode: String,
}

/// An admin moves a person, changes their role, employment or its end; what waits for
/// them is planned again.
pub async fn update_employee(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<Uuid>,
    axum::Form(form): axum::Form<EmployeeForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let saved = async {
        let ends_on = date_field("employment_ends_on", &form.employment_ends_on)?;
        let patch = EmployeePatch {
            unit_id: parse_id("unit_id", &form.unit_id)?,
            role_id: parse_id("role_id", &form.role_id)?,
            employment_type: parse_enum("employment_type", &form.employment_type)?,
            employment_ends_on: Some(ends_on),
            schedule_mode: parse_enum("schedule_mode", &form.schedule_mode)?,
            ..Default::default()
        };
        changes::update_employee(&state.db, &console.caller, id, patch, state.clock.now()).await
    }
    .await;
    if let Err(err) = saved {
        return again_on_employee_page(state, console, id, err, &form).await;
    }
    state.tokens.evict_employee(id);
    Ok(Redirect::to(&format!("/console/employees/{id}")).into_response())
}

/// A person's page again, with one of its forms refused.
async fn again_on_employee_page(
    state: AppState,
    console: Console,
    id: Uuid,
    err: AppError,
    form: &impl Serialize,
) -> WebResult<Response> {
    let page = format!("/console/employees/{id}");
    let console = console.refused(err, form, "e-", &page)?;
    drawn_again(employee(
        State(state),
        console,
        Path(id),
        Query(super::list::DoneQuery { done: None }),
    ))
    .await
}

/// A unit's form: empty for a new unit, filled in to rename, move or re-cost one.
#[derive(Template)]
#[template(path = "unit_form.html")]
struct UnitFormPage {
    c: Chrome,
    action: String,
    name: String,
    /// Every other unit.
    parents: Vec<(Uuid, String)>,
    parent_id: Option<Uuid>,
    cost_center: String,
    hours_href: Option<String>,
    /// The unit's managers' e-mail addresses, one a line.
    managers: String,
}

impl UnitFormPage {
    async fn new(
        state: &AppState,
        console: &Console,
        title: &str,
        unit: Option<&UnitView>,
    ) -> WebResult<Self> {
        let names = unit_names(&state.db, console.caller.tenant_id).await?;
        let id = unit.map(|u| u.id);
        let manager_ids = unit.map(|u| u.manager_ids.clone()).unwrap_or_default();
        let managers = emails_of(&state.db, console.caller.tenant_id, &manager_ids).await?;
        let parent = unit.and_then(|u| u.parent_id);
        Ok(Self {
            c: Chrome::new(console, title, "nav-units"),
            action: id.map_or("/console/units".to_owned(), |id| {
                format!("/console/units/{id}")
            }),
            name: unit.map(|u| u.name.clone()).unwrap_or_default(),
            parents: unit_options(&names, &crate::auth::UnitScope::Tenant)
                .into_iter()
                .filter(|(other, _)| Some(*other) != id)
                .collect(),
            parent_id: parent,
            cost_center: unit.and_then(|u| u.cost_center.clone()).unwrap_or_default(),
            hours_href: id.map(|id| format!("/console/hours/units/{id}")),
            managers: managers.join("\n"),
        })
    }
}

/// The form for a new unit: for those who may add one.
pub async fn new_unit(State(state): State<AppState>, console: Console) -> WebResult<Response> {
    console.caller.may(Resource::Units, Access::Write)?;
    render(&UnitFormPage::new(&state, &console, "unit-new-title", None).await?)
}

/// The form that changes one unit: its name, place in the tree and cost centre; for
/// those who may change units.
pub async fn unit(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<Uuid>,
) -> WebResult<Response> {
    console.caller.may(Resource::Units, Access::Write)?;
    let unit = get_unit(&state.db, &console.caller, id).await?;
    render(&UnitFormPage::new(&state, &console, "unit-edit-title", Some(&unit)).await?)
}

/// Renames, moves or re-costs a unit (moving it re-links its devices to the new tree).
pub async fn update_unit(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<Uuid>,
    axum::Form(form): axum::Form<UnitForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let saved = async {
        let patch = UnitPatch {
            manager_ids: Some(managers_by_email(&state, &console, &form.managers).await?),
            name: Some(form.name.clone()),
            parent_id: Some(parse_id("parent_id", &form.parent_id)?),
            cost_center: Some(opt(&form.cost_center)),
        };
        update_unit_in(&state.db, &console.caller, id, patch).await
    }
    .await;
    if let Err(err) = saved {
        let console = console.refused(err, &form, "u-", &format!("/console/units/{id}"))?;
        return drawn_again(unit(State(state), console, Path(id))).await;
    }
    Ok(Redirect::to("/console/units").into_response())
}

#[derive(Deserialize, Serialize)]
pub struct UnitForm {
    csrf: String,
    name: String,
    #[serde(default)]
    parent_id: String,
    #[serde(default)]
    cost_center: String,
    /// Managers' e-mail addresses, one a line (or separated by commas).
    #[serde(default)]
    managers: String,
}

/// The employees behind e-mail addresses typed one a line; 422 naming the first that
/// is no one's.
async fn managers_by_email(
    state: &AppState,
    console: &Console,
    typed: &str,
) -> Result<Vec<Uuid>, AppError> {
    let mut ids = Vec::new();
    for email in typed
        .split(['\n', ','])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        ids.push(
            super::list::employee_by_email(&state.db, console.caller.tenant_id, "managers", email)
                .await?,
        );
    }
    Ok(ids)
}

/// The e-mail addresses of these employees of the tenant, in order.
async fn emails_of(
    db: &sea_orm::DatabaseConnection,
    tenant_id: Uuid,
    ids: &[Uuid],
) -> WebResult<Vec<String>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(entities::employee::Entity::find()
        .select_only()
        .column(entities::employee::Column::Email)
        .filter(entities::employee::Column::TenantId.eq(tenant_id))
        .filter(entities::employee::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(entities::employee::Column::Email)
        .into_tuple()
        .all(db)
        .await?)
}

pub async fn create_unit(
    State(state): State<AppState>,
    console: Console,
    axum::Form(form): axum::Form<UnitForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let created = async {
        let input = NewUnit {
            manager_ids: Some(managers_by_email(&state, &console, &form.managers).await?),
            name: form.name.clone(),
            parent_id: parse_id("parent_id", &form.parent_id)?,
            cost_center: opt(&form.cost_center),
        };
        create_unit_in(&state.db, &console.caller, input).await
    }
    .await;
    if let Err(err) = created {
        let console = console.refused(err, &form, "u-", "/console/units/new")?;
        return drawn_again(new_unit(State(state), console)).await;
    }
    Ok(Redirect::to("/console/units").into_response())
}

#[derive(Deserialize)]
pub struct SuggestQuery {
    #[serde(default)]
    q: String,
}

/// One person a picker offers: what goes in the field (their e-mail address, which
/// names them exactly) and what the list shows.
#[derive(serde::Serialize)]
pub struct Suggestion {
    value: String,
    label: String,
}

/// The people picker's suggestions for what has been typed (two characters or more),
/// as JSON for the console's script; the form works without it.
pub async fn suggest(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<SuggestQuery>,
) -> WebResult<Response> {
    let who = query.q.trim();
    if who.chars().count() < 2 {
        return Ok(axum::Json(Vec::<Suggestion>::new()).into_response());
    }
    let caller = &console.caller;
    let people = employees::suggest(&state.db, caller, who, 10).await?;
    let units = unit_names(&state.db, caller.tenant_id).await?;
    let suggestions: Vec<Suggestion> = people
        .into_iter()
        .map(|p| {
            let mut label = p.name;
            if let Some(unit) = units.get(&p.unit_id) {
                label = format!("{label} – {unit}");
            }
            if let Some(number) = p.external_id {
                label = format!("{label} ({number})");
            }
            Suggestion {
                value: p.email,
                label,
            }
        })
        .collect();
    Ok(axum::Json(suggestions).into_response())
}

#[derive(Deserialize, Serialize)]
pub struct HandOutForm {
    csrf: String,
    /// The device's serial number or IMEI.
    device: String,
}

/// Hands a device in stock to this person, found by what is printed on it.
pub async fn hand_out(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<Uuid>,
    axum::Form(form): axum::Form<HandOutForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let caller = &console.caller;
    // One who may hand devices out, to someone they may see, before anything is looked
    // up by what was typed.
    caller.may(Resource::Devices, Access::Write)?;
    employees::get_employee(&state.db, caller, id).await?;
    let handed = async {
        let device =
            devices::find_by_serial_or_imei(&state.db, caller.tenant_id, "device", &form.device)
                .await?;
        let to = devices::AssignDevice {
            employee_id: Some(id),
            unit_id: None,
        };
        devices::apply_action(
            &state.db,
            caller,
            device,
            crate::inventory::lifecycle::DeviceAction::Assign,
            devices::DeviceChange::Assign(to),
        )
        .await
    }
    .await;
    if let Err(err) = handed {
        return again_on_employee_page(state, console, id, err, &form).await;
    }
    Ok(Redirect::to(&format!("/console/employees/{id}?done=hand-out")).into_response())
}
