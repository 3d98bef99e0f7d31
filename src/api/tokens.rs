//! `/api/v1/tokens`: issue and revoke API tokens (admin).
use axum::{Json, extract::State, http::StatusCode};
use sea_orm::DatabaseConnection;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ApiJson, ApiPath, ApiQuery};
use crate::{
    app::AppState,
    auth::{
        Caller, TokenCache,
        tokens::{self, IssuedToken, NewToken, TokenView},
    },
    error::AppResult,
    pagination::{Page, PageParams},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_token, list_tokens))
        .routes(routes!(revoke_token))
}

/// Issues a token. Its secret is in this answer only; Stilla keeps just a hash.
#[utoipa::path(post, path = "/tokens", tag = "tokens", request_body = NewToken,
    responses((status = 201, body = IssuedToken)))]
async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<NewToken>,
) -> AppResult<(StatusCode, Json<IssuedToken>)> {
    let issued = tokens::issue_token(&state.db, &caller, input, state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// The tenant's tokens, revoked ones included, never their secrets.
#[utoipa::path(get, path = "/tokens", tag = "tokens", params(PageParams),
    responses((status = 200, body = Page<TokenView>)))]
async fn list_tokens(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Page<TokenView>>> {
    Ok(Json(
        tokens::list_tokens(&db, &caller, page.request()?).await?,
    ))
}

/// Revokes a token at once.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "tokens", responses((status = 204, description = "Revoked")))]
async fn revoke_token(
    State(db): State<DatabaseConnection>,
    State(cache): State<TokenCache>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    tokens::revoke_token(&db, &caller, id).await?;
    cache.evict(id);
    Ok(StatusCode::NO_CONTENT)
}
