//! Notice templates: the messages a ward sends again and again ("Personalmöte",
//! "Ny rutin för läkemedel"), kept per organisation so a manager starts from one.
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
                    .table("notice_templates")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(text("name"))
                    .col(text("title"))
                    .col(text("body"))
                    .col(text("priority"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("notice_templates", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_notice_templates_name")
                    .table("notice_templates")
                    .col("tenant_id")
                    .col("name")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("notice_templates").to_owned())
            .await
    }
}
