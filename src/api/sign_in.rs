//! `/api/v1/tenant`, `/api/v1/identity-provider` and `/api/v1/directory/*`: how the
//! tenant's people sign in to the console, and how the directory places the people it
//! provisions (admin).
use axum::{Json, extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ApiJson;
use crate::{
    app::AppState,
    auth::Caller,
    directory::placement::{self, DirectoryProblems, DirectorySettings},
    error::AppResult,
    identity::settings::{self, IdentityProviderInput, IdentityProviderView},
    tenants::{self, TenantPatch, TenantView},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_tenant, update_tenant))
        .routes(routes!(
            get_identity_provider,
            put_identity_provider,
            delete_identity_provider
        ))
        .routes(routes!(get_directory_settings, put_directory_settings))
        .routes(routes!(directory_problems))
}

/// How the directory's people are placed: unit by cost centre, department or group;
/// role category by title or group; and the groups that place.
#[utoipa::path(get, path = "/directory/settings", tag = "sign-in",
    responses((status = 200, body = DirectorySettings)))]
async fn get_directory_settings(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<DirectorySettings>> {
    Ok(Json(placement::get_settings(&state.db, &caller).await?))
}

/// Replaces the placement rules and group mappings, and places everyone the groups now
/// place.
#[utoipa::path(put, path = "/directory/settings", tag = "sign-in",
    request_body = DirectorySettings,
    responses((status = 200, body = DirectorySettings)))]
async fn put_directory_settings(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<DirectorySettings>,
) -> AppResult<Json<DirectorySettings>> {
    Ok(Json(
        placement::put_settings(&state.db, &caller, input).await?,
    ))
}

/// What the directory sent that placed nobody (refused, never guessed), and who waits
/// for a mapped group.
#[utoipa::path(get, path = "/directory/problems", tag = "sign-in",
    responses((status = 200, body = DirectoryProblems)))]
async fn directory_problems(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<DirectoryProblems>> {
    Ok(Json(placement::problems(&state.db, &caller).await?))
}

/// The tenant's name, short name and whether the console takes a pasted token.
#[utoipa::path(get, path = "/tenant", tag = "sign-in",
    responses((status = 200, body = TenantView)))]
async fn get_tenant(State(state): State<AppState>, caller: Caller) -> AppResult<Json<TenantView>> {
    Ok(Json(
        tenants::get_tenant(&state.db, &caller, &state.site).await?,
    ))
}

/// Changes the tenant's name, short name, or whether the console takes a pasted token
/// (turning that off needs the identity provider set up and on, and ends the token
/// sign-ins at once).
#[utoipa::path(patch, path = "/tenant", tag = "sign-in", request_body = TenantPatch,
    responses((status = 200, body = TenantView)))]
async fn update_tenant(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(patch): ApiJson<TenantPatch>,
) -> AppResult<Json<TenantView>> {
    Ok(Json(
        tenants::update_tenant(&state.db, &caller, &state.site, patch).await?,
    ))
}

/// The OpenID Connect provider people sign in with; never its client secret.
#[utoipa::path(get, path = "/identity-provider", tag = "sign-in",
    responses((status = 200, body = IdentityProviderView)))]
async fn get_identity_provider(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<IdentityProviderView>> {
    Ok(Json(
        settings::get_identity_provider(&state.db, &caller, &state.site).await?,
    ))
}

/// Sets up or changes the identity provider. The issuer's discovery document is read
/// first: an issuer that does not answer is refused (422). The client secret is sealed
/// at rest and never returned.
#[utoipa::path(put, path = "/identity-provider", tag = "sign-in",
    request_body = IdentityProviderInput,
    responses((status = 200, body = IdentityProviderView)))]
async fn put_identity_provider(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<IdentityProviderInput>,
) -> AppResult<Json<IdentityProviderView>> {
    Ok(Json(
        settings::put_identity_provider(&state.db, &caller, &state.identity, &state.site, input)
            .await?,
    ))
}

/// Removes the identity provider (refused with 409 while the console takes no token).
#[utoipa::path(delete, path = "/identity-provider", tag = "sign-in",
    responses((status = 204, description = "Removed")))]
async fn delete_identity_provider(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<StatusCode> {
    settings::delete_identity_provider(&state.db, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}
