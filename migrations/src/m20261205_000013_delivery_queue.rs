//! The dispatcher's queue order: urgent deliveries first, then by `queue_at` — when a
//! delivery fell due, plus a spread by phone for the ones that are not urgent, so that
//! one tenant's 50,000-person notice does not go ahead of everything due after it. The
//! spread orders only; it never makes anything wait (`due_at` says when it may go).
//! And a person's deliveries are found by the person alone, so that a push's two status
//! changes do not move its row in that index.
use sea_orm_migration::{
    prelude::*,
    schema::{boolean, timestamp_with_time_zone_null},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            boolean("urgent").default(false).to_owned(),
            timestamp_with_time_zone_null("queue_at"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("deliveries")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE deliveries SET queue_at = due_at, urgent = EXISTS (SELECT 1 FROM notices n \
             WHERE n.id = deliveries.notice_id AND n.priority = 'urgent') \
             WHERE status IN ('scheduled', 'sending')",
        )
        .await?;
        db.execute_unprepared("DROP INDEX ix_deliveries_due")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_deliveries_queue ON deliveries (urgent DESC, queue_at, registration_id) \
             WHERE status = 'scheduled'",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX ix_deliveries_queue")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_deliveries_due ON deliveries (due_at, registration_id) \
             WHERE status = 'scheduled'",
        )
        .await?;
        for column in ["queue_at", "urgent"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("deliveries")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
