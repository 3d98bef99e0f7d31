//! Indexes the follow-up reports lean on: which devices and subscriptions name an
//! agreement (the expiring-agreements report counted them by reading every device, and
//! deleting an agreement checked the same way), and whose employment ends when (returns
//! due, ended employments).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str, &[&str]); 3] = [
    ("ix_devices_contract", "devices", &["contract_id"]),
    (
        "ix_subscriptions_contract",
        "subscriptions",
        &["contract_id"],
    ),
    (
        "ix_employees_tenant_ends_on",
        "employees",
        &["tenant_id", "employment_ends_on"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, columns) in INDEXES {
            let mut index = Index::create().name(name).table(table).to_owned();
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
