//! Search everything at once: devices (serial, IMEI, model), subscriptions (number
//! typed any way, ICCID, extension) and people (name, e-mail, external id), within the
//! caller's scope, through the same filters as the lists.
use askama::Template;
use axum::{
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;

use super::{Chrome, list::opt, render};
use crate::{
    app::AppState,
    auth::{Access, Resource},
    inventory::{
        devices::{self, DeviceFilter, DeviceView},
        subscriptions::{self, SubscriptionFilter, SubscriptionView},
    },
    org::employees::{self, EmployeeFilter, EmployeeView},
    pagination::PageParams,
    web::session::{Console, WebResult},
};

/// Hits shown per kind; the list behind "all" has the rest.
const HITS: u64 = 10;

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    c: Chrome,
    q: String,
    /// The query string of the lists behind the hits.
    list_query: String,
    devices: Vec<DeviceView>,
    subscriptions: Vec<SubscriptionView>,
    people: Vec<EmployeeView>,
}

pub async fn search(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<SearchQuery>,
) -> WebResult<Response> {
    let caller = &console.caller;
    // Each of the three queries below asks for its own reading rights; the empty search
    // form is refused the same way to those who could find nothing with it.
    caller.may(Resource::Employees, Access::Read)?;
    let q = opt(&query.q);
    let page = || {
        PageParams {
            limit: Some(HITS),
            cursor: None,
        }
        .request()
    };
    let (mut found_devices, mut found_subscriptions, mut found_people) = (vec![], vec![], vec![]);
    if let Some(q) = q.clone() {
        let device_query = devices::list_query(
            &state.db,
            caller,
            &DeviceFilter {
                q: Some(q.clone()),
                ..Default::default()
            },
        )
        .await?;
        let subscription_query = subscriptions::list_condition(
            &state.db,
            caller,
            &SubscriptionFilter {
                q: Some(q.clone()),
                ..Default::default()
            },
        )
        .await?;
        let people_query = employees::list_condition(
            &state.db,
            caller,
            &EmployeeFilter {
                q: Some(q),
                ..Default::default()
            },
        )
        .await?;
        // Three independent searches, side by side on their own pooled connections.
        let (devices, subscriptions, people) = tokio::try_join!(
            devices::list_devices(&state.db, device_query, page()?),
            subscriptions::list_subscriptions(&state.db, subscription_query, page()?),
            employees::list_employees(&state.db, people_query, page()?),
        )?;
        found_devices = devices.items.into_iter().map(DeviceView::from).collect();
        found_subscriptions = subscriptions.items;
        found_people = people.items;
    }
    // One hit: its page at once, as a scanned serial number or IMEI should.
    let only = match (
        found_devices.as_slice(),
        found_subscriptions.as_slice(),
        found_people.as_slice(),
    ) {
        ([d], [], []) => Some(format!("/console/devices/{}", d.id)),
        ([], [s], []) => Some(format!("/console/subscriptions/{}", s.id)),
        ([], [], [p]) => Some(format!("/console/employees/{}", p.id)),
        _ => None,
    };
    if let Some(page) = only {
        return Ok(Redirect::to(&page).into_response());
    }
    render(&SearchPage {
        c: Chrome::new(&console, "search-title", ""),
        list_query: serde_urlencoded::to_string([("q", query.q.trim())]).unwrap_or_default(),
        q: query.q,
        devices: found_devices,
        subscriptions: found_subscriptions,
        people: found_people,
    })
}
