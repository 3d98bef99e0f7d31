//! Indexes for the console's sortable columns: a list sorted by serial number, model,
//! number, operator, name or e-mail reads its page in index order instead of sorting
//! every row of the organisation. Byte order on both stores (`COLLATE "C"` on
//! PostgreSQL, SQLite's default), as the lists sort (`pagination::sorted`).
use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index, table, sorted text columns); each index is the tenant, those, then the id.
const INDEXES: [(&str, &str, &[&str]); 6] = [
    ("ix_devices_by_serial", "devices", &["serial_number"]),
    ("ix_devices_by_model", "devices", &["manufacturer", "model"]),
    ("ix_subscriptions_by_msisdn", "subscriptions", &["msisdn"]),
    (
        "ix_subscriptions_by_operator",
        "subscriptions",
        &["operator", "plan"],
    ),
    ("ix_employees_by_name", "employees", &["name"]),
    ("ix_employees_by_email", "employees", &["email"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let collate = match manager.get_database_backend() {
            DbBackend::Postgres => r#" COLLATE "C""#,
            _ => "",
        };
        for (name, table, columns) in INDEXES {
            let sorted: Vec<String> = columns
                .iter()
                .map(|column| format!("{column}{collate}"))
                .collect();
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "CREATE INDEX {name} ON {table} (tenant_id, {}, id)",
                    sorted.join(", ")
                ))
                .await?;
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
