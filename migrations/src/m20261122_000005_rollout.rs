//! Roll-out planning (device profiles, rules by role and unit) and framework agreements,
//! which devices and subscriptions may name.
use sea_orm_migration::{
    prelude::*,
    schema::{
        big_integer, date, integer, pk_uuid, text, text_null, timestamp_with_time_zone, uuid,
        uuid_null,
    },
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
                    .table("device_profiles")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(text("name"))
                    .col(text("device_kind"))
                    .col(big_integer("device_price_ore"))
                    .col(big_integer("setup_cost_ore"))
                    .col(big_integer("monthly_subscription_cost_ore"))
                    .col(big_integer("monthly_support_cost_ore"))
                    .col(integer("lifetime_months"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("device_profiles", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_device_profiles_name")
                    .table("device_profiles")
                    .col("tenant_id")
                    .col("name")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("rollout_rules")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("role_id"))
                    .col(uuid_null("unit_id"))
                    // The unit's id, or `tenant` for a tenant-wide rule: unique with the
                    // role, where a NULL unit would never collide.
                    .col(text("scope_key"))
                    .col(uuid_null("profile_id"))
                    .col(integer("wave"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("rollout_rules", "tenant_id", "tenants"))
                    .foreign_key(&mut fk("rollout_rules", "role_id", "roles"))
                    .foreign_key(&mut fk("rollout_rules", "unit_id", "units"))
                    .foreign_key(&mut fk("rollout_rules", "profile_id", "device_profiles"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_rollout_rules_role_scope")
                    .table("rollout_rules")
                    .col("tenant_id")
                    .col("role_id")
                    .col("scope_key")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("contracts")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(text("supplier"))
                    .col(text("kind"))
                    .col(text_null("reference"))
                    .col(date("starts_on"))
                    .col(date("ends_on"))
                    .col(integer("notice_period_days"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("contracts", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        for table in ["devices", "subscriptions"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(uuid_null("contract_id"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["devices", "subscriptions"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column("contract_id")
                        .to_owned(),
                )
                .await?;
        }
        for table in ["contracts", "rollout_rules", "device_profiles"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
