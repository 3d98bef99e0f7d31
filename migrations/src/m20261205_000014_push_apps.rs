//! Tenants' own mobile apps: the APNs key and Firebase service account a region's own
//! app is pushed with, sealed at rest.
use sea_orm_migration::{
    prelude::*,
    schema::{boolean, pk_uuid, text, text_null, timestamp_with_time_zone, uuid},
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
                    .table("push_apps")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(text("app_id"))
                    .col(text("name"))
                    .col(text_null("apns_key_id"))
                    .col(text_null("apns_team_id"))
                    .col(text_null("apns_topic"))
                    .col(boolean("apns_sandbox").default(false))
                    .col(text_null("apns_key_sealed"))
                    .col(text_null("fcm_project_id"))
                    .col(text_null("fcm_client_email"))
                    .col(text_null("fcm_account_sealed"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("push_apps", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_push_apps_app")
                    .table("push_apps")
                    .col("tenant_id")
                    .col("app_id")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("push_apps").to_owned())
            .await
    }
}
