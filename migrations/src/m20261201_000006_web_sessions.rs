//! Console sign-ins: a browser session stands for the API token it was opened with, so
//! the console reaches exactly what that token reaches, and revoking the token ends the
//! session. Only a hash of the cookie's secret is kept; the CSRF token is per session.
use sea_orm_migration::{
    prelude::*,
    schema::{pk_uuid, text, timestamp_with_time_zone, uuid},
};

use crate::helpers::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("web_sessions")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("token_id"))
                    .col(text("secret_hash"))
                    .col(text("csrf_token"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(&mut fk("web_sessions", "tenant_id", "tenants"))
                    .foreign_key(&mut fk("web_sessions", "token_id", "api_tokens"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_web_sessions_secret_hash")
                    .table("web_sessions")
                    .col("secret_hash")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_web_sessions_token")
                    .table("web_sessions")
                    .col("token_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("web_sessions").to_owned())
            .await
    }
}
