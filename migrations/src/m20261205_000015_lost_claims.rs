//! How often a delivery was claimed by a dispatcher that never wrote its outcome (the
//! process died, the database was gone): a row that kills its dispatcher ends `dead`
//! after a few such claims instead of going out, and taking it over again, on every
//! restart; and a row pushed after a lapsed claim is counted as perhaps pushed twice.
use sea_orm_migration::{prelude::*, schema::integer};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("deliveries")
                    .add_column(integer("lost_claims").default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("deliveries")
                    .drop_column("lost_claims")
                    .to_owned(),
            )
            .await
    }
}
