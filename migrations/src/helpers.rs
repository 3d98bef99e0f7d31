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
