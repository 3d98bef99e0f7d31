//! Free-text search over devices without reading every device: one lowercased text of
//! the searched fields (serial number, IMEI, manufacturer, model), kept by the database
//! itself as a generated column, and an index over it. The fields are joined with the
//! unit separator (U+001F), which no one types, so a match never spans two fields.
//!
//! PostgreSQL: a stored generated column and a trigram GIN index (`pg_trgm`, a trusted
//! extension since PostgreSQL 13, so the database's owner may create it), which answers
//! `LIKE '%…%'` from the index. SQLite: a plain column kept by two triggers and a
//! covering index (tenant, text, id), so a search reads the narrow index instead of every
//! row. (SQLite can add only a virtual generated column to a table, and does not read an
//! index over one as covering: that was slower than no index at all.)
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The searched text of a row: `row` is "" for the table's own columns or "NEW." inside
/// a trigger; `separator` is the store's way of writing U+001F.
fn search_text(row: &str, separator: &str) -> String {
    format!(
        "lower({row}serial_number || {separator} || coalesce({row}imei, '') || {separator} \
         || {row}manufacturer || {separator} || {row}model)"
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            sea_orm::DbBackend::Postgres => {
                db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                    .await?;
                db.execute_unprepared(&format!(
                    "ALTER TABLE devices ADD COLUMN search_text text \
                     GENERATED ALWAYS AS ({}) STORED",
                    search_text("", "chr(31)")
                ))
                .await?;
                db.execute_unprepared(
                    "CREATE INDEX ix_devices_search ON devices \
                     USING gin (search_text gin_trgm_ops)",
                )
                .await?;
            }
            _ => {
                let text = search_text("", "char(31)");
                let of_new = search_text("NEW.", "char(31)");
                for statement in [
                    "ALTER TABLE devices ADD COLUMN search_text TEXT".to_owned(),
                    format!("UPDATE devices SET search_text = {text}"),
                    format!(
                        "CREATE TRIGGER devices_search_insert AFTER INSERT ON devices BEGIN \
                         UPDATE devices SET search_text = {of_new} WHERE rowid = NEW.rowid; END"
                    ),
                    format!(
                        "CREATE TRIGGER devices_search_update AFTER UPDATE OF serial_number, \
                         imei, manufacturer, model ON devices BEGIN \
                         UPDATE devices SET search_text = {of_new} WHERE rowid = NEW.rowid; END"
                    ),
                    "CREATE INDEX ix_devices_search ON devices (tenant_id, search_text, id)"
                        .to_owned(),
                ] {
                    db.execute_unprepared(&statement).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == sea_orm::DbBackend::Sqlite {
            db.execute_unprepared("DROP TRIGGER devices_search_insert")
                .await?;
            db.execute_unprepared("DROP TRIGGER devices_search_update")
                .await?;
        }
        db.execute_unprepared("DROP INDEX ix_devices_search")
            .await?;
        db.execute_unprepared("ALTER TABLE devices DROP COLUMN search_text")
            .await?;
        Ok(())
    }
}
