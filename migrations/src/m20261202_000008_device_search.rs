//! Free-text search over devices without reading every device: serial number, IMEI,
//! manufacturer and model as one lowercased text kept by the database, under an index
//! (see [`crate::helpers::add_search_text`]).
use sea_orm_migration::prelude::*;

use crate::helpers::{add_search_text, drop_search_text};

#[derive(DeriveMigrationName)]
pub struct Migration;

const FIELDS: [(&str, bool); 4] = [
    ("serial_number", false),
    ("imei", true),
    ("manufacturer", false),
    ("model", false),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_search_text(manager, "devices", &FIELDS, &[], &[]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_search_text(manager, "devices", &[]).await
    }
}
