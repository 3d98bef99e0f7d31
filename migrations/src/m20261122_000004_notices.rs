//! Staff notices: push registrations, notices, their recipients (the inbox) and the
//! deliveries outbox the dispatcher claims from.
//!
//! The inbox and outbox rows carry no foreign keys. Only the planner writes them, from
//! ids it read in the same transaction, and notices, employees and registrations are
//! never deleted; PostgreSQL's per-row foreign-key triggers cost 0.9 s of a notice to
//! 50,000 people (BENCHMARKS.md) and would guard nothing.
use sea_orm_migration::{
    prelude::*,
    schema::{
        boolean, integer, json_binary, pk_uuid, text, text_null, timestamp_with_time_zone,
        timestamp_with_time_zone_null, uuid, uuid_null,
    },
};

use crate::helpers::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn index(
    name: &'static str,
    table: &'static str,
    columns: &[&'static str],
) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table(table).to_owned();
    for column in columns {
        index.col(*column);
    }
    index
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("push_registrations")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("employee_id"))
                    .col(text("provider"))
                    .col(text("token"))
                    .col(uuid_null("device_id"))
                    .col(text_null("app_id"))
                    .col(boolean("urgent_off_hours").default(false))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("last_seen_at"))
                    .col(timestamp_with_time_zone_null("disabled_at"))
                    .col(text_null("disabled_reason"))
                    .foreign_key(&mut fk("push_registrations", "tenant_id", "tenants"))
                    .foreign_key(&mut fk("push_registrations", "employee_id", "employees"))
                    .foreign_key(&mut fk("push_registrations", "device_id", "devices"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_push_registrations_token",
                    "push_registrations",
                    &["tenant_id", "provider", "token"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_push_registrations_employee",
                "push_registrations",
                &["employee_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("notices")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(text("title"))
                    .col(text("body"))
                    .col(text("priority"))
                    .col(json_binary("audience"))
                    .col(timestamp_with_time_zone("send_at"))
                    .col(timestamp_with_time_zone_null("expires_at"))
                    .col(boolean("requires_ack"))
                    .col(boolean("repeat_until_ack"))
                    .col(text_null("urgent_reason"))
                    .col(uuid("sender_token_id"))
                    .col(text("sender_name"))
                    .col(text_null("idempotency_key"))
                    .col(text_null("request_hash"))
                    .col(json_binary("summary"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("cancelled_at"))
                    .foreign_key(&mut fk("notices", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        // A retried create finds the first notice; two racing ones cannot both insert.
        manager
            .create_index(
                index(
                    "ux_notices_idempotency",
                    "notices",
                    &["tenant_id", "sender_token_id", "idempotency_key"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index("ix_notices_tenant", "notices", &["tenant_id", "id"]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("notice_recipients")
                    .col(uuid("notice_id"))
                    .col(uuid("employee_id"))
                    .col(uuid("tenant_id"))
                    .col(timestamp_with_time_zone_null("deliver_at"))
                    .col(text("reason"))
                    .col(timestamp_with_time_zone_null("window_ends_at"))
                    .col(text("outcome"))
                    .col(timestamp_with_time_zone_null("pushed_at"))
                    .col(timestamp_with_time_zone_null("acked_at"))
                    .primary_key(
                        Index::create()
                            .name("pk_notice_recipients")
                            .col("notice_id")
                            .col("employee_id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_notice_recipients_employee",
                "notice_recipients",
                &["employee_id", "notice_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("deliveries")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("notice_id"))
                    .col(uuid("employee_id"))
                    .col(uuid("registration_id"))
                    .col(timestamp_with_time_zone_null("deliver_at"))
                    .col(timestamp_with_time_zone_null("push_expires_at"))
                    .col(text("status"))
                    .col(integer("attempts").default(0))
                    .col(integer("pushes").default(0))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone_null("due_at"))
                    .col(uuid_null("lease_owner"))
                    .col(timestamp_with_time_zone_null("lease_until"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_deliveries_notice",
                "deliveries",
                &["notice_id", "id"],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_deliveries_employee_status",
                "deliveries",
                &["employee_id", "status"],
            ))
            .await?;
        // The dispatcher's two questions, each one small index range: which waiting
        // rows are due, and which claims have lapsed. Partial, so sent rows cost nothing.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX ix_deliveries_due ON deliveries (due_at, registration_id) WHERE status = 'scheduled'",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_deliveries_lease ON deliveries (lease_until) WHERE status = 'sending'",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "deliveries",
            "notice_recipients",
            "notices",
            "push_registrations",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
