//! Credentials that end: an API token may carry an expiry, and a console session
//! remembers when it was last used, for its idle timeout.
use sea_orm_migration::{prelude::*, schema::timestamp_with_time_zone_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one change at a time.
        manager
            .alter_table(
                Table::alter()
                    .table("api_tokens")
                    .add_column(timestamp_with_time_zone_null("expires_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("web_sessions")
                    .add_column(timestamp_with_time_zone_null("last_seen_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("web_sessions")
                    .drop_column("last_seen_at")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("api_tokens")
                    .drop_column("expires_at")
                    .to_owned(),
            )
            .await
    }
}
