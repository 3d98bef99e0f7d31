//! `/employees/{id}/reachability`, `/me/reachability` and `/me/focus`.
use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ApiJson, ApiPath, ApiQuery};
use crate::{
    app::AppState,
    auth::Caller,
    db::begin_write,
    error::AppResult,
    notices::replan::change_focus,
    org::employees,
    reachability::{Decision, Priority},
    schedules::{book::reachability_of, focus::Focus},
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

async fn answer(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    employee_id: Uuid,
    question: Question,
    now: DateTime<Utc>,
) -> AppResult<Decision> {
    let priority = question.priority.unwrap_or(Priority::Info);
    reachability_of(
        db,
        tenant_id,
        employee_id,
        priority,
        question.at.unwrap_or(now),
    )
    .await
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
    caller.require_reader()?;
    let scope = caller.unit_scope(&state.db).await?;
    employees::get_employee(&state.db, caller.tenant_id, &scope, id).await?;
    Ok(Json(
        answer(&state.db, caller.tenant_id, id, question, state.clock.now()).await?,
    ))
}

/// When a notice would reach me.
#[utoipa::path(get, path = "/me/reachability", tag = "me", params(Question), responses((status = 200, body = Decision)))]
async fn my_reachability(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(question): ApiQuery<Question>,
) -> AppResult<Json<Decision>> {
    let id = caller.own_employee_id()?;
    Ok(Json(
        answer(&state.db, caller.tenant_id, id, question, state.clock.now()).await?,
    ))
}

/// "In a patient meeting until …": holds ordinary notices until then (at most 12 hours).
#[utoipa::path(put, path = "/me/focus", tag = "me", request_body = Focus, responses((status = 200, body = Focus)))]
async fn set_focus(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<Focus>,
) -> AppResult<Json<Focus>> {
    let id = caller.own_employee_id()?;
    let txn = begin_write(&state.db).await?;
    change_focus(
        &txn,
        &caller.actor(),
        id,
        Some(input.clone()),
        state.clock.now(),
    )
    .await?;
    txn.commit().await?;
    Ok(Json(input))
}

#[utoipa::path(delete, path = "/me/focus", tag = "me", responses((status = 204, description = "Focus ended")))]
async fn end_focus(State(state): State<AppState>, caller: Caller) -> AppResult<StatusCode> {
    let id = caller.own_employee_id()?;
    let txn = begin_write(&state.db).await?;
    change_focus(&txn, &caller.actor(), id, None, state.clock.now()).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
