//! `/device-profiles`, `/rollout-rules` and the roll-out reports.
use std::sync::Arc;

use axum::{Json, extract::State, http::StatusCode, response::Response};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ApiJson, ApiPath, ApiQuery};
use crate::{
    app::AppState,
    auth::Caller,
    downloads::{FormatQuery, respond},
    error::{AppError, AppResult},
    pagination::{Page, PageParams},
    reports::cache,
    rollout::{
        profiles::{self, NewProfile, ProfilePatch, ProfileView},
        report::{self, Comparison, RolloutReport},
        rules::{self, NewRule, RulePatch, RuleView},
    },
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_profile, list_profiles))
        .routes(routes!(get_profile, update_profile, delete_profile))
        .routes(routes!(create_rule, list_rules))
        .routes(routes!(update_rule, delete_rule))
        .routes(routes!(rollout_report))
        .routes(routes!(rollout_compare))
}

#[utoipa::path(post, path = "/device-profiles", tag = "roll-out", request_body = NewProfile,
    responses((status = 201, body = ProfileView)))]
async fn create_profile(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiJson(input): ApiJson<NewProfile>,
) -> AppResult<(StatusCode, Json<ProfileView>)> {
    let view = profiles::create_profile(&db, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(get, path = "/device-profiles", tag = "roll-out", params(PageParams),
    responses((status = 200, body = Page<ProfileView>)))]
async fn list_profiles(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Page<ProfileView>>> {
    Ok(Json(
        profiles::list_profiles(&db, &caller, page.request()?).await?,
    ))
}

#[utoipa::path(get, path = "/device-profiles/{id}", tag = "roll-out", responses((status = 200, body = ProfileView)))]
async fn get_profile(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<ProfileView>> {
    Ok(Json(profiles::get_profile(&db, &caller, id).await?))
}

#[utoipa::path(patch, path = "/device-profiles/{id}", tag = "roll-out", request_body = ProfilePatch,
    responses((status = 200, body = ProfileView)))]
async fn update_profile(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<ProfilePatch>,
) -> AppResult<Json<ProfileView>> {
    let view = profiles::update_profile(&db, &caller, id, patch).await?;
    Ok(Json(view))
}

/// Refused with 409 while a rule uses the profile.
#[utoipa::path(delete, path = "/device-profiles/{id}", tag = "roll-out", responses((status = 204, description = "Deleted")))]
async fn delete_profile(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    profiles::delete_profile(&db, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A rule for (role, unit) — or the whole tenant when `unit_id` is null; a second rule
/// for the same pair is a 409.
#[utoipa::path(post, path = "/rollout-rules", tag = "roll-out", request_body = NewRule,
    responses((status = 201, body = RuleView)))]
async fn create_rule(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiJson(input): ApiJson<NewRule>,
) -> AppResult<(StatusCode, Json<RuleView>)> {
    let view = rules::create_rule(&db, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(get, path = "/rollout-rules", tag = "roll-out", params(PageParams),
    responses((status = 200, body = Page<RuleView>)))]
async fn list_rules(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Page<RuleView>>> {
    Ok(Json(
        rules::list_rules(&db, &caller, page.request()?).await?,
    ))
}

#[utoipa::path(patch, path = "/rollout-rules/{id}", tag = "roll-out", request_body = RulePatch,
    responses((status = 200, body = RuleView)))]
async fn update_rule(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<RulePatch>,
) -> AppResult<Json<RuleView>> {
    let view = rules::update_rule(&db, &caller, id, patch).await?;
    Ok(Json(view))
}

#[utoipa::path(delete, path = "/rollout-rules/{id}", tag = "roll-out", responses((status = 204, description = "Deleted")))]
async fn delete_rule(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    rules::delete_rule(&db, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct WaveQuery {
    /// Rules with a wave up to this one; all when absent.
    wave: Option<i32>,
}

async fn inputs(state: &AppState, caller: &Caller) -> AppResult<Arc<report::Inputs>> {
    cache::rollout_inputs(&state.reports, &state.db, caller, state.clock.now()).await
}

/// Who gets which device profile, how many are equipped already, and what introduction
/// and a year of operation cost, per unit and role. Managers see their units.
#[utoipa::path(get, path = "/reports/rollout", tag = "reports", params(WaveQuery, FormatQuery),
    responses((status = 200, description = "The report; with `?format=csv` or `?format=xlsx`, as a file",
        content((RolloutReport = "application/json"), (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
async fn rollout_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(wave): ApiQuery<WaveQuery>,
    ApiQuery(format): ApiQuery<FormatQuery>,
) -> AppResult<Response> {
    let report = report::compute(&*inputs(&state, &caller).await?, wave.wave);
    respond(format.format, "utrullning", &report, || report.table())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CompareQuery {
    /// The plan compared from: rules up to this wave.
    #[param(minimum = 0)]
    a: i32,
    /// The plan compared to.
    #[param(minimum = 0)]
    b: i32,
}

/// What moving from plan `a` to plan `b` adds, per unit and role, and in total.
#[utoipa::path(get, path = "/reports/rollout/compare", tag = "reports", params(CompareQuery, FormatQuery),
    responses((status = 200, description = "The report; with `?format=csv` or `?format=xlsx`, as a file",
        content((Comparison = "application/json"), (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
async fn rollout_compare(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(waves): ApiQuery<CompareQuery>,
    ApiQuery(format): ApiQuery<FormatQuery>,
) -> AppResult<Response> {
    if waves.a < 0 || waves.b < 0 {
        return Err(AppError::invalid("a", "waves are 0 or more"));
    }
    let comparison = report::compare(&*inputs(&state, &caller).await?, waves.a, waves.b);
    respond(format.format, "utrullning-jamforelse", &comparison, || {
        comparison.table()
    })
}
