//! Pieces the migrations written from 000004 on share (the earlier ones have landed
//! with their own copies and are not edited).
use sea_orm_migration::prelude::*;

/// A foreign key `table.column -> target.id` that refuses to delete a referenced row.
pub fn fk(
    table: &'static str,
    column: &'static str,
    target: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

/// Adds `table.search_text`: the `fields` lowercased and joined by U+001F (which no one
/// types, so a match never spans two fields; a nullable field counts as empty), kept by
/// the database, with an index that answers `LIKE '%…%'` without reading every row.
///
/// PostgreSQL: a stored generated column under a trigram GIN index (`pg_trgm`, a trusted
/// extension since PostgreSQL 13, so the database's owner may create it), plus a trigram
/// index on each of `also_trigram`. SQLite: a plain column kept by two triggers, under a
/// covering index (`tenant_id`, `search_text`, `also_covered`…, id), so a search reads the
/// narrow index instead of every row. (SQLite can add only a virtual generated column to
/// a table, and does not read an index over one as covering: slower than no index.)
pub async fn add_search_text(
    manager: &SchemaManager<'_>,
    table: &str,
    fields: &[(&str, bool)],
    also_trigram: &[&str],
    also_covered: &[&str],
) -> Result<(), DbErr> {
    // `row` is "" for the table's own columns or "NEW." inside a trigger; `separator`
    // the store's way of writing U+001F.
    let text = |row: &str, separator: &str| {
        let parts: Vec<String> = fields
            .iter()
            .map(|(field, nullable)| match nullable {
                true => format!("coalesce({row}{field}, '')"),
                false => format!("{row}{field}"),
            })
            .collect();
        format!("lower({})", parts.join(&format!(" || {separator} || ")))
    };
    let db = manager.get_connection();
    let statements = if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
        let mut statements = vec![
            "CREATE EXTENSION IF NOT EXISTS pg_trgm".to_owned(),
            format!(
                "ALTER TABLE {table} ADD COLUMN search_text text \
                 GENERATED ALWAYS AS ({}) STORED",
                text("", "chr(31)")
            ),
            format!(
                "CREATE INDEX ix_{table}_search ON {table} \
                 USING gin (search_text gin_trgm_ops)"
            ),
        ];
        for column in also_trigram {
            statements.push(format!(
                "CREATE INDEX ix_{table}_{column}_trigram ON {table} \
                 USING gin ({column} gin_trgm_ops)"
            ));
        }
        statements
    } else {
        let (all, new) = (text("", "char(31)"), text("NEW.", "char(31)"));
        let watched: Vec<&str> = fields.iter().map(|(field, _)| *field).collect();
        let covered: Vec<&str> = std::iter::once("tenant_id")
            .chain(std::iter::once("search_text"))
            .chain(also_covered.iter().copied())
            .chain(std::iter::once("id"))
            .collect();
        vec![
            format!("ALTER TABLE {table} ADD COLUMN search_text TEXT"),
            format!("UPDATE {table} SET search_text = {all}"),
            format!(
                "CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table} BEGIN \
                 UPDATE {table} SET search_text = {new} WHERE rowid = NEW.rowid; END"
            ),
            format!(
                "CREATE TRIGGER {table}_search_update AFTER UPDATE OF {} ON {table} \
                 BEGIN UPDATE {table} SET search_text = {new} WHERE rowid = NEW.rowid; END",
                watched.join(", ")
            ),
            format!(
                "CREATE INDEX ix_{table}_search ON {table} ({})",
                covered.join(", ")
            ),
        ]
    };
    for statement in statements {
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
}

/// Undoes [`add_search_text`].
pub async fn drop_search_text(
    manager: &SchemaManager<'_>,
    table: &str,
    also_trigram: &[&str],
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let mut statements = vec![format!("DROP INDEX ix_{table}_search")];
    if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
        for column in also_trigram {
            statements.push(format!("DROP INDEX ix_{table}_{column}_trigram"));
        }
    } else {
        statements.push(format!("DROP TRIGGER {table}_search_insert"));
        statements.push(format!("DROP TRIGGER {table}_search_update"));
    }
    statements.push(format!("ALTER TABLE {table} DROP COLUMN search_text"));
    for statement in statements {
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
}
