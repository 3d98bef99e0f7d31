//! The device list (filters, column chooser, the view kept in the URL, export of exactly
//! that query) and a device's page (facts, allowed lifecycle actions, history).
use std::collections::HashMap;

use askama::Template;
use axum::{
    Form,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::Query;
use entities::device::Column;
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Chrome,
    list::{
        DoneQuery, Filter, ListPage, PageAsked, Row, chosen_columns, date_field, export_format,
        list_table, opt, page_asked, pager, parse_enum, parse_id, sort_of, sorted_view_query,
        unit_options,
    },
    render,
};
use crate::downloads::respond;
use crate::web::refused::drawn_again;
use crate::{
    app::AppState,
    audit::HistoryItem,
    auth::{Access, Resource},
    error::{AppError, AppResult},
    inventory::{
        devices::{
            self, AssignDevice, DeviceChange, DeviceFilter, DeviceView, RepairDetails, RetireReason,
        },
        lifecycle::{Action, DeviceAction, DeviceStatus, allowed_actions},
    },
    money::Money,
    org::{employees, units::unit_names},
    pagination::{DEFAULT_LIMIT, MAX_LIMIT, Page, all_pages_from_cursors},
    reports::table::Cell,
    web::session::{Console, WebResult},
};

/// The list's columns, in order; the first ones are shown unless the URL says otherwise.
const COLUMNS: [&str; 8] = [
    "serial_number",
    "kind",
    "model",
    "status",
    "unit",
    "holder",
    "imei",
    "ownership",
];
const DEFAULT_COLUMNS: usize = 6;

/// The columns the list sorts by, and the stored columns behind each.
const SORTABLE: [(&str, &[Column]); 2] = [
    ("serial_number", &[Column::SerialNumber]),
    ("model", &[Column::Manufacturer, Column::Model]),
];

/// The list's view, all of it in the URL so it can be bookmarked and shared.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    kind: String,
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
    /// The domain's filter; a value the form could not have sent is a 422.
    fn filter(&self) -> Result<DeviceFilter, AppError> {
        Ok(DeviceFilter {
            status: parse_enum("status", &self.status)?,
            kind: parse_enum("kind", &self.kind)?,
            unit_id: parse_id("unit_id", &self.unit_id)?,
            q: opt(&self.q),
            ..Default::default()
        })
    }

    fn columns(&self) -> Vec<&'static str> {
        chosen_columns(&COLUMNS, DEFAULT_COLUMNS, &self.cols)
    }

    /// This view's query string, without the page cursor (for export and paging links),
    /// and without its sort (for the headings' links).
    fn view_query(&self) -> (String, String) {
        let filters = [
            ("q", self.q.as_str()),
            ("status", &self.status),
            ("kind", &self.kind),
            ("unit_id", &self.unit_id),
        ];
        sorted_view_query(&filters, &self.sort, &self.cols)
    }

    /// A page of the view's devices from `cursor`, in the order asked for.
    async fn page(
        &self,
        state: &AppState,
        device_query: devices::DeviceQuery,
        limit: u64,
        cursor: Option<String>,
    ) -> AppResult<Page<entities::device::Model>> {
        Ok(match page_asked(&self.sort, &SORTABLE, limit, cursor)? {
            PageAsked::Sorted(sort, page) => {
                devices::list_devices_sorted(&state.db, device_query, &sort, &page).await?
            }
            PageAsked::InOrder(page) => {
                devices::list_devices(&state.db, device_query, page).await?
            }
        })
    }
}

/// The people the devices are assigned to (to look their names up once).
fn holders(items: &[DeviceView]) -> Vec<Uuid> {
    items
        .iter()
        .filter_map(|d| d.assigned_to.as_ref().and_then(|a| a.employee_id))
        .collect()
}

fn holder(
    d: &DeviceView,
    people: &HashMap<Uuid, (String, Uuid)>,
    units: &HashMap<Uuid, String>,
) -> String {
    match &d.assigned_to {
        Some(a) => a
            .employee_id
            .and_then(|e| people.get(&e).map(|(name, _)| name))
            .or_else(|| a.unit_id.and_then(|u| units.get(&u)))
            .cloned()
            .unwrap_or_default(),
        None => String::new(),
    }
}

/// The caller's scope and the domain query of the list's view (pages and exports).
async fn scoped_query(
    state: &AppState,
    console: &Console,
    query: &ListQuery,
) -> WebResult<(crate::auth::UnitScope, devices::DeviceQuery)> {
    let caller = &console.caller;
    let filter = query.filter()?;
    let device_query = devices::list_query(&state.db, caller, &filter).await?;
    Ok((caller.unit_scope(&state.db).await?, device_query))
}

pub async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<ListQuery>,
) -> WebResult<Response> {
    let (scope, device_query) = scoped_query(&state, &console, &query).await?;
    let caller = &console.caller;
    let (_, mut sorting) = sort_of(&query.sort, None, &SORTABLE)?;
    let (page, total) = tokio::try_join!(
        query.page(
            &state,
            device_query.clone(),
            DEFAULT_LIMIT,
            query.cursor.clone()
        ),
        devices::count_devices(&state.db, device_query),
    )?;
    let unit_names = unit_names(&state.db, caller.tenant_id).await?;
    let items: Vec<DeviceView> = page.items.into_iter().map(DeviceView::from).collect();
    let people = employees::people_of(&state.db, caller.tenant_id, &holders(&items)).await?;
    let c = Chrome::new(&console, "devices-title", "nav-devices");
    let columns = query.columns();
    let rows = items
        .iter()
        .zip(cells_of(&c, &columns, &items, &people, &unit_names))
        .map(|(d, cells)| Row {
            href: format!("/console/devices/{}", d.id),
            cells,
        })
        .collect();
    let (view, unsorted) = query.view_query();
    sorting.base = unsorted;
    let admin = c.admin;
    let bulk_label = c.t("bulk-title");
    let filters = vec![
        Filter::search(
            "q",
            c.t("devices-search"),
            Some(c.t("devices-search-hint")),
            &query.q,
        ),
        Filter::choice(
            "status",
            c.t("col-status"),
            &query.status,
            c.choices::<DeviceStatus>("device-status").into_iter(),
        ),
        Filter::choice(
            "kind",
            c.t("col-kind"),
            &query.kind,
            c.choices::<crate::inventory::devices::DeviceKind>("device-kind")
                .into_iter(),
        ),
        Filter::units(c.t("col-unit"), &query.unit_id, &unit_names, &scope),
    ];
    ListPage {
        all_columns: COLUMNS
            .iter()
            .map(|col| (*col, c.word("col", col)))
            .collect(),
        caption: c.t("devices-caption"),
        empty: c.t("devices-none"),
        c,
        path: "/console/devices",
        filters,
        columns,
        rows,
        pager: pager(
            "/console/devices",
            &view,
            query.cursor.as_deref(),
            query.back.as_deref(),
            page.next_cursor,
        ),
        total: Some(total),
        on_all: admin.then(|| (format!("/console/devices/bulk?{view}"), bulk_label)),
        export: Some(view),
        sorting: Some(sorting),
    }
    .render()
}

/// The chosen columns of each device, as the list shows them: words, names, not codes
/// and ids.
fn cells_of(
    c: &Chrome,
    columns: &[&str],
    items: &[DeviceView],
    people: &HashMap<Uuid, (String, Uuid)>,
    unit_names: &HashMap<Uuid, String>,
) -> Vec<Vec<String>> {
    items
        .iter()
        .map(|d| {
            columns
                .iter()
                .map(|col| match *col {
                    "serial_number" => d.serial_number.clone(),
                    "kind" => c.term("device-kind", &d.kind),
                    "model" => format!("{} {}", d.manufacturer, d.model),
                    "status" => c.term("device-status", &d.status),
                    "unit" => d
                        .unit_id
                        .and_then(|u| unit_names.get(&u).cloned())
                        .unwrap_or_default(),
                    "holder" => holder(d, people, unit_names),
                    "imei" => d.imei.clone().unwrap_or_default(),
                    "ownership" => c.term("ownership", &d.ownership),
                    _ => String::new(),
                })
                .collect()
        })
        .collect()
}

/// Every device the list's view matches, as the list shows it — the chosen columns,
/// under their headings, in words — as a CSV for Excel in a Swedish locale or a
/// workbook. (`GET /api/v1/devices?format=csv` gives the fields that import again.)
pub async fn export(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<ListQuery>,
) -> WebResult<Response> {
    let format = export_format(query.format.as_deref())?;
    let (_, device_query) = scoped_query(&state, &console, &query).await?;
    let caller = &console.caller;
    let items: Vec<DeviceView> = all_pages_from_cursors(|cursor| {
        query.page(&state, device_query.clone(), MAX_LIMIT, cursor)
    })
    .await?
    .into_iter()
    .map(DeviceView::from)
    .collect();
    let people = employees::people_of(&state.db, caller.tenant_id, &holders(&items)).await?;
    let unit_names = unit_names(&state.db, caller.tenant_id).await?;
    let c = Chrome::new(&console, "devices-title", "nav-devices");
    let columns = query.columns();
    let rows = cells_of(&c, &columns, &items, &people, &unit_names)
        .into_iter()
        .map(|row| row.into_iter().map(Cell::Text).collect())
        .collect();
    let table = list_table(&c, "Utrustning", &columns, rows);
    Ok(respond(Some(format), "devices", &(), || table)?)
}

#[derive(Template)]
#[template(path = "device.html")]
struct DevicePage {
    c: Chrome,
    device: DeviceView,
    unit: String,
    holder: String,
    /// The person holding it, for a link to their page.
    holder_id: Option<Uuid>,
    /// The numbers in it: (subscription, number and extension, operator and plan).
    numbers: Vec<(Uuid, String, String)>,
    /// The framework agreement, in words.
    agreement: Option<String>,
    retired_because: Option<String>,
    in_repair: bool,
    actions: Vec<&'static str>,
    /// Why a device may be retired: (stored word, words).
    reasons: Vec<(String, String)>,
    units: Vec<(Uuid, String)>,
    /// The facts form, for those who may change devices.
    facts: Option<FactsForm>,
    history: Vec<HistoryItem>,
    status_kind: &'static str,
    done: Option<String>,
}

/// What the facts form offers to choose from.
struct FactsForm {
    /// The device's ownership, as stored.
    ownership: String,
    ownerships: Vec<(String, String)>,
    /// (agreement, supplier and reference).
    contracts: Vec<(Uuid, String)>,
}

/// An agreement in words: "Telia (RA-2023-114)".
fn agreement_words(contract: &entities::contract::Model) -> String {
    match &contract.reference {
        Some(reference) => format!("{} ({reference})", contract.supplier),
        None => contract.supplier.clone(),
    }
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<Uuid>,
    Query(done): Query<DoneQuery>,
) -> WebResult<Response> {
    let caller = &console.caller;
    let (device, history) = devices::device_history(&state.db, caller, id).await?;
    let links = devices::device_links(&state.db, caller, &device).await?;
    let names = unit_names(&state.db, caller.tenant_id).await?;
    let holder_id = device.assigned_to.as_ref().and_then(|a| a.employee_id);
    let people = employees::people_of(&state.db, caller.tenant_id, holder_id.as_slice()).await?;
    let status = device.status;
    // Only those who may change devices see actions (a manager's page shows none).
    let may_change = caller.may(Resource::Devices, Access::Write).is_ok();
    let actions = if may_change {
        allowed_actions::<DeviceAction>(status)
    } else {
        Vec::new()
    };
    let units = unit_options(&names, &crate::auth::UnitScope::Tenant);
    let c = Chrome::new(&console, "device-title", "nav-devices");
    let reasons = c.choices::<RetireReason>("retire-reason");
    let facts = if may_change && status != DeviceStatus::Retired {
        let mut contracts: Vec<(Uuid, String)> =
            crate::inventory::contracts::all_of(&state.db, caller)
                .await?
                .iter()
                .map(|k| (k.id, agreement_words(k)))
                .collect();
        contracts.sort_by(|a, b| a.1.cmp(&b.1));
        Some(FactsForm {
            ownership: sea_orm::ActiveEnum::to_value(&device.ownership),
            ownerships: c.choices::<devices::Ownership>("ownership"),
            contracts,
        })
    } else {
        None
    };
    let numbers = links
        .subscriptions
        .iter()
        .map(|s| {
            let number = match &s.extension {
                Some(ext) => format!("{} ({} {ext})", s.msisdn, c.t("col-extension")),
                None => s.msisdn.clone(),
            };
            (s.id, number, format!("{}, {}", s.operator, s.plan))
        })
        .collect();
    render(&DevicePage {
        unit: device
            .unit_id
            .and_then(|u| names.get(&u).cloned())
            .unwrap_or_default(),
        holder: holder(&device, &people, &names),
        holder_id,
        numbers,
        agreement: links.contract.as_ref().map(agreement_words),
        retired_because: device.retired_reason.map(|r| c.term("retire-reason", &r)),
        in_repair: status == DeviceStatus::InRepair,
        c,
        device,
        actions,
        reasons,
        units,
        facts,
        history,
        status_kind: "device-status",
        done: done
            .done
            .filter(|d| DeviceAction::by_name(d).is_some() || d == "facts"),
    })
}

#[derive(Deserialize, serde::Serialize)]
pub struct ActionForm {
    csrf: String,
    /// Whom to assign to: a name, e-mail address or employee number.
    #[serde(default)]
    employee: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    reason: String,
    /// Ticked to confirm a step that cannot be undone (retiring): never ticked again
    /// for someone when their form comes back.
    #[serde(default, skip_serializing)]
    confirm: String,
    #[serde(default)]
    repair_reason: String,
    #[serde(default)]
    repair_vendor: String,
    #[serde(default)]
    repair_ticket: String,
}

pub async fn act(
    State(state): State<AppState>,
    console: Console,
    Path((id, action)): Path<(Uuid, String)>,
    Form(form): Form<ActionForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let action = DeviceAction::by_name(&action).ok_or(AppError::NotFound("action"))?;
    let done = async {
        let change = change_of(&state, &console, action, &form).await?;
        devices::apply_action(&state.db, &console.caller, id, action, change).await
    }
    .await;
    if let Err(err) = done {
        let console = console.refused(err, &form, "", &format!("/console/devices/{id}"))?;
        let done = Query(DoneQuery { done: None });
        return drawn_again(show(State(state), console, Path(id), done)).await;
    }
    Ok(Redirect::to(&format!("/console/devices/{id}?done={}", action.name())).into_response())
}

/// What an action's form asks for: to whom, why, with what details.
async fn change_of(
    state: &AppState,
    console: &Console,
    action: DeviceAction,
    form: &ActionForm,
) -> AppResult<DeviceChange> {
    Ok(match action {
        DeviceAction::Assign => {
            let to_person = !form.employee.trim().is_empty();
            if to_person && !form.unit_id.trim().is_empty() {
                // Never drop one of the two silently: the admin meant one of them.
                return Err(AppError::invalid(
                    "employee",
                    "give an employee's e-mail or a unit, not both",
                ));
            }
            let target = if to_person {
                let employee =
                    employees::pick(&state.db, &console.caller, "employee", &form.employee).await?;
                AssignDevice {
                    employee_id: Some(employee),
                    unit_id: None,
                }
            } else {
                let unit_id = form.unit_id.parse::<Uuid>().map_err(|_| {
                    AppError::invalid("employee", "give an employee's e-mail or a unit")
                })?;
                AssignDevice {
                    employee_id: None,
                    unit_id: Some(unit_id),
                }
            };
            DeviceChange::Assign(target)
        }
        DeviceAction::Retire => {
            if form.confirm != "yes" {
                return Err(AppError::invalid(
                    "confirm",
                    "confirm that the device is to be retired for good",
                ));
            }
            let reason: RetireReason =
                <RetireReason as sea_orm::ActiveEnum>::try_from_value(&form.reason)
                    .map_err(|_| AppError::invalid("reason", "choose a reason"))?;
            DeviceChange::Retire(reason)
        }
        DeviceAction::SendToRepair => DeviceChange::Repair(RepairDetails {
            reason: opt(&form.repair_reason),
            vendor: opt(&form.repair_vendor),
            ticket: opt(&form.repair_ticket),
        }),
        _ => DeviceChange::None,
    })
}

/// The facts form: every field is sent, so an emptied one clears the fact.
#[derive(Deserialize, serde::Serialize)]
pub struct FactsInput {
    csrf: String,
    manufacturer: String,
    model: String,
    serial_number: String,
    #[serde(default)]
    imei: String,
    ownership: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    purchased_on: String,
    #[serde(default)]
    purchase_price: String,
    #[serde(default)]
    warranty_ends_on: String,
    #[serde(default)]
    contract_id: String,
}

impl FactsInput {
    fn patch(&self) -> Result<devices::DevicePatch, AppError> {
        let price = opt(&self.purchase_price)
            .map(|p| Money::parse(&p).map_err(|e| AppError::invalid("purchase_price", e)))
            .transpose()?;
        Ok(devices::DevicePatch {
            kind: None,
            manufacturer: Some(self.manufacturer.clone()),
            model: Some(self.model.clone()),
            serial_number: Some(self.serial_number.clone()),
            imei: Some(opt(&self.imei)),
            ownership: parse_enum("ownership", &self.ownership)?,
            unit_id: Some(parse_id("unit_id", &self.unit_id)?),
            purchase_price: Some(price),
            purchased_on: Some(date_field("purchased_on", &self.purchased_on)?),
            warranty_ends_on: Some(date_field("warranty_ends_on", &self.warranty_ends_on)?),
            contract_id: Some(parse_id("contract_id", &self.contract_id)?),
        })
    }
}

pub async fn edit_facts(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<Uuid>,
    Form(form): Form<FactsInput>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let saved = match form.patch() {
        Ok(patch) => devices::update_device(&state.db, &console.caller, id, patch)
            .await
            .map(drop),
        Err(err) => Err(err),
    };
    if let Err(err) = saved {
        let page = format!("/console/devices/{id}");
        let console = console.refused(err, &form, "f-", &page)?;
        let done = Query(DoneQuery { done: None });
        return drawn_again(show(State(state), console, Path(id), done)).await;
    }
    Ok(Redirect::to(&format!("/console/devices/{id}?done=facts")).into_response())
}

#[derive(Template)]
#[template(path = "bulk.html")]
struct BulkPage {
    c: Chrome,
    view: String,
    fields: Vec<(&'static str, String)>,
    actions: Vec<&'static str>,
    action: Option<&'static str>,
    /// Why a device may be retired: (stored word, words).
    reasons: Vec<(String, String)>,
    plan: Option<devices::BulkPlan>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct BulkQuery {
    #[serde(flatten)]
    list: ListQuery,
    #[serde(default)]
    action: String,
}

/// The actions a bulk change offers: those that need no per-device choice (assigning
/// does: to whom).
const BULK_ACTIONS: [DeviceAction; 5] = [
    DeviceAction::Receive,
    DeviceAction::Unassign,
    DeviceAction::SendToRepair,
    DeviceAction::ReturnFromRepair,
    DeviceAction::Retire,
];

fn bulk_action(name: &str) -> Result<Option<DeviceAction>, AppError> {
    match opt(name) {
        None => Ok(None),
        Some(name) => BULK_ACTIONS
            .iter()
            .copied()
            .find(|a| a.name() == name)
            .map(Some)
            .ok_or_else(|| AppError::invalid("action", "not an action for many devices")),
    }
}

/// The list's query and the chosen action: how many devices match, and how many the
/// action applies to, before anything changes.
pub async fn bulk(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<BulkQuery>,
) -> WebResult<Response> {
    let caller = &console.caller;
    caller.may(Resource::Devices, Access::Write)?;
    let filter = query.list.filter()?;
    let device_query = devices::list_query(&state.db, caller, &filter).await?;
    let action = bulk_action(&query.action)?;
    let plan = match action {
        Some(action) => Some(devices::bulk_plan(&state.db, caller, device_query, action).await?),
        None => None,
    };
    let list = &query.list;
    let c = Chrome::new(&console, "bulk-title", "nav-devices");
    render(&BulkPage {
        reasons: c.choices::<RetireReason>("retire-reason"),
        c,
        view: list.view_query().0,
        fields: vec![
            ("q", list.q.clone()),
            ("status", list.status.clone()),
            ("kind", list.kind.clone()),
            ("unit_id", list.unit_id.clone()),
        ],
        actions: BULK_ACTIONS.iter().map(|a| a.name()).collect(),
        action: action.map(crate::inventory::lifecycle::Action::name),
        plan,
    })
}

#[derive(Clone, Debug, Deserialize)]
pub struct BulkForm {
    csrf: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    unit_id: String,
    action: String,
    #[serde(default)]
    reason: String,
    /// The count the admin confirmed: if the list changed since, nothing is done.
    expected: u64,
}

pub async fn apply_bulk(
    State(state): State<AppState>,
    console: Console,
    axum_extra::extract::Form(form): axum_extra::extract::Form<BulkForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let list = ListQuery {
        q: form.q.clone(),
        status: form.status.clone(),
        kind: form.kind.clone(),
        unit_id: form.unit_id.clone(),
        ..Default::default()
    };
    let device_query = devices::list_query(&state.db, &console.caller, &list.filter()?).await?;
    let action =
        bulk_action(&form.action)?.ok_or_else(|| AppError::invalid("action", "choose one"))?;
    let change = if action == DeviceAction::Retire {
        DeviceChange::Retire(
            <RetireReason as sea_orm::ActiveEnum>::try_from_value(&form.reason)
                .map_err(|_| AppError::invalid("reason", "choose a reason"))?,
        )
    } else {
        DeviceChange::None
    };
    let changed = devices::apply_bulk(
        &state.db,
        &console.caller,
        device_query,
        action,
        change,
        form.expected,
    )
    .await?;
    let view = list.view_query().0;
    let sep = if view.is_empty() { "" } else { "&" };
    Ok(Redirect::to(&format!("/console/devices?{view}{sep}changed={changed}")).into_response())
}
