//! Tenants, tokens, the organisation (units, role categories, employees), the device and
//! subscription inventory, and the audit trail.
use sea_orm_migration::{
    prelude::*,
    schema::{
        big_integer, big_integer_null, boolean, date_null, json_binary, json_binary_null, pk_uuid,
        text, text_null, timestamp_with_time_zone, timestamp_with_time_zone_null, uuid, uuid_null,
    },
};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A foreign key `table.column -> target.id`, named `fk_<table>_<column>`.
fn fk(
    table: &'static str,
    column: &'static str,
    target: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn index(table: &'static str, name: &str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(name).table(table);
    for column in columns {
        statement.col(*column);
    }
    statement.clone()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("tenants")
                    .col(pk_uuid("id"))
                    .col(text("name"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("units")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(text("name"))
                    .col(uuid_null("parent_id"))
                    .col(text_null("cost_center"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("units", "tenant_id", "tenants"))
                    .foreign_key(&mut fk("units", "parent_id", "units"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "units",
                "ix_units_tenant_parent",
                &["tenant_id", "parent_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("roles")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(text("name"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("roles", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("roles", "ux_roles_tenant_name", &["tenant_id", "name"])
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("employees")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(text("name"))
                    .col(text("email"))
                    .col(uuid("unit_id"))
                    .col(uuid("role_id"))
                    .col(text("employment_type"))
                    .col(date_null("employment_ends_on"))
                    .col(text_null("external_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("employees", "tenant_id", "tenants"))
                    .foreign_key(&mut fk("employees", "unit_id", "units"))
                    .foreign_key(&mut fk("employees", "role_id", "roles"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "employees",
                    "ux_employees_tenant_email",
                    &["tenant_id", "email"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "employees",
                    "ux_employees_tenant_external_id",
                    &["tenant_id", "external_id"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "employees",
                "ix_employees_tenant_unit",
                &["tenant_id", "unit_id", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("api_tokens")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(text("name"))
                    .col(text("role"))
                    .col(uuid_null("employee_id"))
                    .col(json_binary("unit_ids"))
                    .col(boolean("can_send_urgent"))
                    .col(text("secret_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk("api_tokens", "tenant_id", "tenants"))
                    .foreign_key(&mut fk("api_tokens", "employee_id", "employees"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("api_tokens", "ux_api_tokens_secret_hash", &["secret_hash"])
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("devices")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(text("kind"))
                    .col(text("manufacturer"))
                    .col(text("model"))
                    .col(text("serial_number"))
                    .col(text_null("imei"))
                    .col(text("ownership"))
                    .col(text("status"))
                    .col(uuid_null("unit_id"))
                    .col(uuid_null("assigned_employee_id"))
                    .col(uuid_null("assigned_unit_id"))
                    .col(big_integer_null("purchase_price_ore"))
                    .col(date_null("purchased_on"))
                    .col(date_null("warranty_ends_on"))
                    .col(text_null("retired_reason"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("devices", "tenant_id", "tenants"))
                    .foreign_key(&mut fk("devices", "unit_id", "units"))
                    .foreign_key(&mut fk("devices", "assigned_employee_id", "employees"))
                    .foreign_key(&mut fk("devices", "assigned_unit_id", "units"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "devices",
                    "ux_devices_tenant_serial_number",
                    &["tenant_id", "serial_number"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("devices", "ux_devices_tenant_imei", &["tenant_id", "imei"])
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Lists are keyset-paginated by id within a tenant; the usual filters lead.
        manager
            .create_index(index(
                "devices",
                "ix_devices_tenant_status_kind",
                &["tenant_id", "status", "kind", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                "devices",
                "ix_devices_tenant_unit",
                &["tenant_id", "unit_id", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                "devices",
                "ix_devices_assigned_employee",
                &["assigned_employee_id"],
            ))
            .await?;
        manager
            .create_index(index(
                "devices",
                "ix_devices_assigned_unit",
                &["assigned_unit_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("subscriptions")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(text("msisdn"))
                    .col(text_null("iccid"))
                    .col(text_null("extension"))
                    .col(text("operator"))
                    .col(text("plan"))
                    .col(big_integer("monthly_cost_ore"))
                    .col(text("status"))
                    .col(uuid_null("device_id"))
                    .col(uuid_null("employee_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("subscriptions", "tenant_id", "tenants"))
                    .foreign_key(&mut fk("subscriptions", "device_id", "devices"))
                    .foreign_key(&mut fk("subscriptions", "employee_id", "employees"))
                    .to_owned(),
            )
            .await?;
        // A number belongs to one live subscription; a terminated one frees it for reuse.
        manager
            .create_index(
                index(
                    "subscriptions",
                    "ux_subscriptions_tenant_msisdn",
                    &["tenant_id", "msisdn"],
                )
                .unique()
                .and_where(Expr::col("status").ne("terminated"))
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "subscriptions",
                    "ux_subscriptions_tenant_iccid",
                    &["tenant_id", "iccid"],
                )
                .unique()
                .and_where(Expr::col("status").ne("terminated"))
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "subscriptions",
                "ix_subscriptions_tenant_status",
                &["tenant_id", "status", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                "subscriptions",
                "ix_subscriptions_device",
                &["device_id"],
            ))
            .await?;
        manager
            .create_index(index(
                "subscriptions",
                "ix_subscriptions_employee",
                &["employee_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_events")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(uuid_null("actor_token_id"))
                    .col(text("actor"))
                    .col(text("action"))
                    .col(text("entity_type"))
                    .col(uuid("entity_id"))
                    .col(json_binary_null("before"))
                    .col(json_binary_null("after"))
                    .foreign_key(&mut fk("audit_events", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "audit_events",
                "ix_audit_events_entity",
                &["tenant_id", "entity_type", "entity_id", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                "audit_events",
                "ix_audit_events_tenant",
                &["tenant_id", "id"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "audit_events",
            "subscriptions",
            "devices",
            "api_tokens",
            "employees",
            "roles",
            "units",
            "tenants",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
