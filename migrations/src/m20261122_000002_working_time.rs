//! Working time: the tenant's policy, unit and employee working hours and zones, shifts,
//! absences and focus time.
use sea_orm_migration::{
    prelude::*,
    schema::{
        date, integer, json_binary, json_binary_null, pk_uuid, text, text_null,
        timestamp_with_time_zone, timestamp_with_time_zone_null, uuid,
    },
};

#[derive(DeriveMigrationName)]
pub struct Migration;

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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("policies")
                    .col(pk_uuid("tenant_id"))
                    .col(text("time_zone"))
                    .col(json_binary("working_hours"))
                    .col(json_binary("holidays"))
                    .col(integer("release_delay_minutes"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("policies", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per ALTER TABLE.
        for (table, column) in [
            ("units", json_binary_null("working_hours")),
            ("units", text_null("time_zone")),
            ("employees", json_binary_null("working_hours")),
            ("employees", text_null("time_zone")),
            (
                "employees",
                text("schedule_mode").default("weekly").to_owned(),
            ),
            ("employees", timestamp_with_time_zone_null("focus_until")),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("shifts")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("employee_id"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(text("kind"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("shifts", "tenant_id", "tenants"))
                    .foreign_key(&mut fk("shifts", "employee_id", "employees"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_shifts_employee_starts")
                    .table("shifts")
                    .col("employee_id")
                    .col("starts_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("absences")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("employee_id"))
                    .col(date("starts_on"))
                    .col(date("ends_on"))
                    .col(text("kind"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("absences", "tenant_id", "tenants"))
                    .foreign_key(&mut fk("absences", "employee_id", "employees"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_absences_employee_starts")
                    .table("absences")
                    .col("employee_id")
                    .col("starts_on")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["absences", "shifts", "policies"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for (table, column) in [
            ("employees", "focus_until"),
            ("employees", "schedule_mode"),
            ("employees", "time_zone"),
            ("employees", "working_hours"),
            ("units", "time_zone"),
            ("units", "working_hours"),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
