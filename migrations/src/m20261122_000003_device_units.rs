//! Which units each device is linked to — responsible unit, holding unit, holder's unit —
//! with all their ancestors: one row per (unit, device). A unit's devices, subtree
//! included, are then one index range in device order, which a page of 50 can stop
//! reading after 51 rows.
use sea_orm_migration::{prelude::*, schema::uuid};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("device_units")
                    .col(uuid("tenant_id"))
                    .col(uuid("unit_id"))
                    .col(uuid("device_id"))
                    .primary_key(
                        Index::create()
                            .name("pk_device_units")
                            .col("unit_id")
                            .col("device_id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_device_units_tenant_id")
                            .from("device_units", "tenant_id")
                            .to("tenants", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_device_units_unit_id")
                            .from("device_units", "unit_id")
                            .to("units", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_device_units_device_id")
                            .from("device_units", "device_id")
                            .to("devices", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_device_units_device")
                    .table("device_units")
                    .col("device_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("device_units").to_owned())
            .await
    }
}
