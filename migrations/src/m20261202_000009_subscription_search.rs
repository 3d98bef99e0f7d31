//! Free-text search over subscriptions without reading every one: number, ICCID,
//! extension, operator and plan as one lowercased text kept by the database, under an
//! index (see [`crate::helpers::add_search_text`]). A number typed in national form is
//! also looked for in the E.164 number alone, so the number gets a trigram index of its
//! own on PostgreSQL and rides in SQLite's covering index.
use sea_orm_migration::prelude::*;

use crate::helpers::{add_search_text, drop_search_text};

#[derive(DeriveMigrationName)]
pub struct Migration;

const FIELDS: [(&str, bool); 5] = [
    ("msisdn", false),
    ("iccid", true),
    ("extension", true),
    ("operator", false),
    ("plan", false),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_search_text(manager, "subscriptions", &FIELDS, &["msisdn"], &["msisdn"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_search_text(manager, "subscriptions", &["msisdn"]).await
    }
}
