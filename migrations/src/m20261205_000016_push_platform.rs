//! Which kind of phone an FCM registration is on: Google carries pushes to iOS and web
//! apps too, and an iOS app needs its own `apns` block (priority, expiry, collapse id,
//! interruption level) to behave as one pushed by Apple directly. Null for registrations
//! made before: APNs ones are iOS, FCM ones Android.
use sea_orm_migration::{prelude::*, schema::string_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("push_registrations")
                    .add_column(string_null("platform"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("push_registrations")
                    .drop_column("platform")
                    .to_owned(),
            )
            .await
    }
}
