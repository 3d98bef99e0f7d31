//! `/employees/{id}/reachability`, `/me/reachability` and `/me/focus`.
use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ApiJson, ApiPath, ApiQuery};
use crate::{
    app::AppState,
    auth::Caller,
    error::AppResult,
    reachability::{Decision, Priority},
    schedules::{book, changes::change_focus, focus::Focus},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(employee_reachability))
        .routes(routes!(my_reachability))
        .routes(routes!(set_focus, end_focus))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Question {
    /// When the notice would be sent (RFC 3339); default now.
    at: Option<DateTime<Utc>>,
    /// Default `info`.
    priority: Option<Priority>,
}

impl Question {
    fn priority(&self) -> Priority {
        self.priority.unwrap_or(Priority::Info)
    }
}

/// When a notice of `priority` sent `at` would reach the employee, and why.
#[utoipa::path(get, path = "/employees/{id}/reachability", tag = "reachability", params(Question),
    responses((status = 200, body = Decision)))]
async fn employee_reachability(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(question): ApiQuery<Question>,
) -> AppResult<Json<Decision>> {
    let at = question.at.unwrap_or(state.clock.now());
    Ok(Json(
        book::employee_reachability(&state.db, &caller, id, question.priority(), at).await?,
    ))
}

/// When a notice would reach me.
#[utoipa::path(get, path = "/me/reachability", tag = "me", params(Question), responses((status = 200, body = Decision)))]
async fn my_reachability(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(question): ApiQuery<Question>,
) -> AppResult<Json<Decision>> {
    let at = question.at.unwrap_or(state.clock.now());
    Ok(Json(
        book::my_reachability(&state.db, &caller, question.priority(), at).await?,
    ))
}

/// "In a patient meeting until …": holds ordinary notices until then (at most 12 hours).
#[utoipa::path(put, path = "/me/focus", tag = "me", request_body = Focus, responses((status = 200, body = Focus)))]
async fn set_focus(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<Focus>,
) -> AppResult<Json<Focus>> {
    change_focus(&state.db, &caller, Some(input.clone()), state.clock.now()).await?;
    Ok(Json(input))
}

#[utoipa::path(delete, path = "/me/focus", tag = "me", responses((status = 204, description = "Focus ended")))]
async fn end_focus(State(state): State<AppState>, caller: Caller) -> AppResult<StatusCode> {
    change_focus(&state.db, &caller, None, state.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
