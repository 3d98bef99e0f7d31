//! `/scim/v2`: the directory's provisioning endpoint (SCIM 2.0, RFC 7644), for a token
//! with the `scim` role only. Thin: each handler reads the request, calls the
//! directory's domain operation, and answers `application/scim+json` with the
//! resource's version as its ETag; refusals are SCIM error documents.
use axum::{
    Router,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    app::AppState,
    auth::Caller,
    directory::{
        ScimError, ScimResult,
        attributes::project,
        discovery, groups, urn,
        users::{self, Base, Window},
    },
    error::AppError,
};

const SCIM_JSON: &str = "application/scim+json";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/scim/v2/ServiceProviderConfig",
            get(service_provider_config),
        )
        .route("/scim/v2/ResourceTypes", get(resource_types))
        .route("/scim/v2/ResourceTypes/{id}", get(resource_type))
        .route("/scim/v2/Schemas", get(schemas))
        .route("/scim/v2/Schemas/{id}", get(schema))
        .route("/scim/v2/Users", get(list_users).post(create_user))
        .route("/scim/v2/Users/.search", axum::routing::post(search_users))
        .route(
            "/scim/v2/Users/{id}",
            get(get_user)
                .put(replace_user)
                .patch(patch_user)
                .delete(delete_user),
        )
        .route("/scim/v2/Groups", get(list_groups).post(create_group))
        .route(
            "/scim/v2/Groups/.search",
            axum::routing::post(search_groups),
        )
        .route(
            "/scim/v2/Groups/{id}",
            get(get_group)
                .put(replace_group)
                .patch(patch_group)
                .delete(delete_group),
        )
        // Searching users and groups in one request is not offered (RFC 7644 §3.4.3
        // lets a service provider answer 501): each has its own /.search.
        .route(
            "/scim/v2/.search",
            axum::routing::post(async || {
                ScimError::new(501, None, "search /Users/.search or /Groups/.search")
            }),
        )
        // Anything else under /scim/v2 is a SCIM 404, in SCIM's format.
        .route("/scim/v2/{*rest}", axum::routing::any(no_such_endpoint))
}

async fn no_such_endpoint() -> ScimError {
    ScimError::new(404, None, "no such SCIM endpoint")
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [urn::ERROR],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(kind) = self.scim_type {
            body["scimType"] = json!(kind);
        }
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, body.to_string()).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// A SCIM document, with its version as the ETag where it has one.
fn document(status: StatusCode, body: &Value, version: Option<&str>) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    if let Some(version) = version.and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert(header::ETAG, version);
    }
    if status == StatusCode::CREATED
        && let Some(location) = body["meta"]["location"]
            .as_str()
            .and_then(|l| HeaderValue::from_str(l).ok())
    {
        headers.insert(header::LOCATION, location);
    }
    response
}

/// The directory's token; anything else is refused as SCIM says (401, or 403 for a
/// token of another role).
fn directory(caller: Result<Caller, AppError>) -> ScimResult<Caller> {
    caller.map_err(ScimError::from)
}

/// The directory's token, for the discovery documents (read access to provisioning).
fn reader(caller: Result<Caller, AppError>) -> ScimResult<()> {
    directory(caller)?.may(
        crate::auth::Resource::Provisioning,
        crate::auth::Access::Read,
    )?;
    Ok(())
}

fn base(state: &AppState) -> Base {
    Base(state.site.url("/scim/v2"))
}

fn if_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok())
}

fn json_body(bytes: &Bytes) -> ScimResult<Value> {
    serde_json::from_slice(bytes)
        .map_err(|e| ScimError::invalid_syntax(format!("the body is not JSON: {e}")))
}

/// A list request's query. Numbers are read here, so a bad one is a SCIM error.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    filter: Option<String>,
    #[serde(rename = "startIndex")]
    start_index: Option<String>,
    count: Option<String>,
    attributes: Option<String>,
    #[serde(rename = "excludedAttributes")]
    excluded_attributes: Option<String>,
}

impl ListQuery {
    fn window(&self) -> ScimResult<Window> {
        let number = |name: &str, value: &Option<String>| -> ScimResult<Option<i64>> {
            value
                .as_deref()
                .map(|v| {
                    v.trim()
                        .parse::<i64>()
                        .map_err(|_| ScimError::invalid_value(format!("{name} must be a number")))
                })
                .transpose()
        };
        Ok(Window::new(
            number("startIndex", &self.start_index)?,
            number("count", &self.count)?,
        ))
    }

    /// Trims each listed resource to the attributes asked for.
    fn shape(&self, mut list: Value) -> Value {
        if let Some(Value::Array(resources)) = list.get_mut("Resources") {
            for resource in resources {
                project(
                    resource,
                    self.attributes.as_deref(),
                    self.excluded_attributes.as_deref(),
                );
            }
        }
        list
    }
}

async fn service_provider_config(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
) -> ScimResult<Response> {
    reader(caller)?;
    let config = discovery::service_provider_config(&base(&state).0);
    Ok(document(StatusCode::OK, &config, None))
}

async fn resource_types(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
) -> ScimResult<Response> {
    reader(caller)?;
    let all = discovery::resource_types(&base(&state).0);
    let window = Window::new(None, None);
    Ok(document(
        StatusCode::OK,
        &users::list_response(all.len() as u64, window, all),
        None,
    ))
}

async fn resource_type(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    Path(id): Path<String>,
) -> ScimResult<Response> {
    reader(caller)?;
    discovery::resource_types(&base(&state).0)
        .into_iter()
        .find(|t| t["id"] == id.as_str())
        .map(|t| document(StatusCode::OK, &t, None))
        .ok_or_else(|| ScimError::not_found("resource type"))
}

async fn schemas(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
) -> ScimResult<Response> {
    reader(caller)?;
    let all = discovery::schemas(&base(&state).0);
    let window = Window::new(None, None);
    Ok(document(
        StatusCode::OK,
        &users::list_response(all.len() as u64, window, all),
        None,
    ))
}

async fn schema(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    Path(id): Path<String>,
) -> ScimResult<Response> {
    reader(caller)?;
    discovery::schemas(&base(&state).0)
        .into_iter()
        .find(|s| s["id"] == id.as_str())
        .map(|s| document(StatusCode::OK, &s, None))
        .ok_or_else(|| ScimError::not_found("schema"))
}

async fn list_users(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    Query(query): Query<ListQuery>,
) -> ScimResult<Response> {
    let caller = directory(caller)?;
    let list = users::list_users(
        &state.db,
        &caller,
        &base(&state),
        query.filter.as_deref(),
        query.window()?,
    )
    .await?;
    Ok(document(StatusCode::OK, &query.shape(list), None))
}

/// A search sent as a body (`POST …/.search`, RFC 7644 §3.4.3): the query's fields.
fn search_query(body: &Bytes) -> ScimResult<ListQuery> {
    let body = json_body(body)?;
    let field = |name: &str| -> Option<String> {
        body.as_object()
            .and_then(|b| crate::directory::attributes::get(b, name))
            .map(|v| match v {
                Value::String(s) => s.clone(),
                Value::Array(items) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            })
    };
    Ok(ListQuery {
        filter: field("filter"),
        start_index: field("startIndex"),
        count: field("count"),
        attributes: field("attributes"),
        excluded_attributes: field("excludedAttributes"),
    })
}

async fn search_users(
    state: State<AppState>,
    caller: Result<Caller, AppError>,
    body: Bytes,
) -> ScimResult<Response> {
    list_users(state, caller, Query(search_query(&body)?)).await
}

async fn search_groups(
    state: State<AppState>,
    caller: Result<Caller, AppError>,
    body: Bytes,
) -> ScimResult<Response> {
    list_groups(state, caller, Query(search_query(&body)?)).await
}

async fn get_user(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
) -> ScimResult<Response> {
    let caller = directory(caller)?;
    let (mut user, version) = users::get_user(&state.db, &caller, &base(&state), &id).await?;
    project(
        &mut user,
        query.attributes.as_deref(),
        query.excluded_attributes.as_deref(),
    );
    Ok(document(StatusCode::OK, &user, Some(&version)))
}

async fn create_user(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    body: Bytes,
) -> ScimResult<Response> {
    let caller = directory(caller)?;
    let body = json_body(&body)?;
    let now = state.clock.now();
    let (user, version) = users::create_user(&state.db, &caller, &base(&state), body, now).await?;
    Ok(document(StatusCode::CREATED, &user, Some(&version)))
}

/// After a write to a person: a cached token of theirs is checked afresh (they may have
/// left).
fn forget_cached(state: &AppState, user: &Value) {
    if let Some(id) = user["id"]
        .as_str()
        .and_then(|id| uuid::Uuid::parse_str(id).ok())
    {
        state.tokens.evict_employee(id);
    }
}

async fn replace_user(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Response> {
    let caller = directory(caller)?;
    let body = json_body(&body)?;
    let now = state.clock.now();
    let (user, version) = users::replace_user(
        &state.db,
        &caller,
        &base(&state),
        &id,
        body,
        if_match(&headers),
        now,
    )
    .await?;
    forget_cached(&state, &user);
    Ok(document(StatusCode::OK, &user, Some(&version)))
}

async fn patch_user(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Response> {
    let caller = directory(caller)?;
    let body = json_body(&body)?;
    let now = state.clock.now();
    let (user, version) = users::patch_user(
        &state.db,
        &caller,
        &base(&state),
        &id,
        &body,
        if_match(&headers),
        now,
    )
    .await?;
    forget_cached(&state, &user);
    Ok(document(StatusCode::OK, &user, Some(&version)))
}

async fn delete_user(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ScimResult<StatusCode> {
    let caller = directory(caller)?;
    let now = state.clock.now();
    let gone = users::delete_user(&state.db, &caller, &id, if_match(&headers), now).await?;
    state.tokens.evict_employee(gone);
    Ok(StatusCode::NO_CONTENT)
}

async fn list_groups(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    Query(query): Query<ListQuery>,
) -> ScimResult<Response> {
    let caller = directory(caller)?;
    let members = groups::wants_members(
        query.attributes.as_deref(),
        query.excluded_attributes.as_deref(),
    );
    let list = groups::list_groups(
        &state.db,
        &caller,
        &base(&state),
        query.filter.as_deref(),
        query.window()?,
        members,
    )
    .await?;
    Ok(document(StatusCode::OK, &query.shape(list), None))
}

async fn get_group(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
) -> ScimResult<Response> {
    let caller = directory(caller)?;
    let members = groups::wants_members(
        query.attributes.as_deref(),
        query.excluded_attributes.as_deref(),
    );
    let (mut group, version) =
        groups::get_group(&state.db, &caller, &base(&state), &id, members).await?;
    project(
        &mut group,
        query.attributes.as_deref(),
        query.excluded_attributes.as_deref(),
    );
    Ok(document(StatusCode::OK, &group, Some(&version)))
}

async fn create_group(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    body: Bytes,
) -> ScimResult<Response> {
    let caller = directory(caller)?;
    let body = json_body(&body)?;
    let now = state.clock.now();
    let (group, version) =
        groups::create_group(&state.db, &caller, &base(&state), &body, now).await?;
    Ok(document(StatusCode::CREATED, &group, Some(&version)))
}

async fn replace_group(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Response> {
    let caller = directory(caller)?;
    let body = json_body(&body)?;
    let now = state.clock.now();
    let (group, version) = groups::replace_group(
        &state.db,
        &caller,
        &base(&state),
        &id,
        &body,
        if_match(&headers),
        now,
    )
    .await?;
    Ok(document(StatusCode::OK, &group, Some(&version)))
}

async fn patch_group(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Response> {
    let caller = directory(caller)?;
    let body = json_body(&body)?;
    let now = state.clock.now();
    let (group, version) = groups::patch_group(
        &state.db,
        &caller,
        &base(&state),
        &id,
        &body,
        if_match(&headers),
        now,
    )
    .await?;
    Ok(document(StatusCode::OK, &group, Some(&version)))
}

async fn delete_group(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ScimResult<StatusCode> {
    let caller = directory(caller)?;
    groups::delete_group(&state.db, &caller, &id, if_match(&headers)).await?;
    Ok(StatusCode::NO_CONTENT)
}
