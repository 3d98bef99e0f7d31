//! `/api/v1/audit`: the tenant's audit trail (admin).
use axum::{Json, extract::State};
use sea_orm::DatabaseConnection;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ApiQuery;
use crate::{
    app::AppState,
    audit::{self, AuditEventView, AuditFilter},
    auth::Caller,
    error::AppResult,
    pagination::{Page, PageParams},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_events))
}

/// Every write, oldest first: who, what, which entity, before and after.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditFilter, PageParams),
    responses((status = 200, body = Page<AuditEventView>)))]
async fn list_audit_events(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiQuery(filter): ApiQuery<AuditFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Page<AuditEventView>>> {
    Ok(Json(
        audit::list_events(
            &db,
            &caller,
            &filter,
            page.request()?,
            audit::Reading::Forward,
        )
        .await?,
    ))
}
