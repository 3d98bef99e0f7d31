//! Whether a ward's manager may change their units' and people's working hours
//! (`policies.managers_edit_hours`): off unless an admin allows it, as regions differ in
//! who owns the schedule — central staffing or the ward itself.
use sea_orm_migration::{prelude::*, schema::boolean};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("policies")
                    .add_column(boolean("managers_edit_hours").default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("policies")
                    .drop_column("managers_edit_hours")
                    .to_owned(),
            )
            .await
    }
}
