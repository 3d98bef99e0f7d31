//! Tenants (a region or municipality) and their first admin token.
use chrono::Utc;
use entities::tenant;
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Set, TransactionTrait,
};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    audit::{self, Actor},
    auth::{AccessRole, tokens},
    error::AppResult,
};

#[derive(Clone, Debug, Serialize)]
pub struct BootstrappedTenant {
    pub tenant_id: Uuid,
    pub admin_token: String,
}

/// Creates a tenant and an admin token for it, in one transaction.
pub async fn bootstrap_tenant(
    db: &DatabaseConnection,
    name: &str,
) -> AppResult<BootstrappedTenant> {
    let txn = db.begin().await?;
    let tenant = tenant::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    let actor = Actor {
        tenant_id: tenant.id,
        token_id: None,
        name: "bootstrap".to_owned(),
    };
    let (secret, token) = tokens::insert_token(
        &txn,
        tenant.id,
        tokens::TokenGrant {
            name: "bootstrap admin".to_owned(),
            role: AccessRole::Admin,
            employee_id: None,
            unit_ids: vec![],
            can_send_urgent: true,
            expires_at: None,
        },
    )
    .await?;
    audit::record(
        &txn,
        &actor,
        "create",
        "tenant",
        tenant.id,
        None,
        Some(&serde_json::json!({"name": name})),
    )
    .await?;
    audit::record(
        &txn,
        &actor,
        "create",
        "token",
        token.id,
        None,
        Some(&tokens::TokenView::from(token)),
    )
    .await?;
    txn.commit().await?;
    Ok(BootstrappedTenant {
        tenant_id: tenant.id,
        admin_token: secret,
    })
}

/// On a database with no tenant, creates "Default" and returns its admin token.
pub async fn ensure_default_tenant(
    db: &DatabaseConnection,
) -> AppResult<Option<BootstrappedTenant>> {
    if tenant::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    bootstrap_tenant(db, "Default").await.map(Some)
}
