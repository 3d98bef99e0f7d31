//! The stored vocabularies: each a Rust enum over the same strings the columns have
//! always held, used from the entity to the JSON and the console. A stored value this
//! build does not know is an error naming the vocabulary and the value ("unexpected
//! value for Priority enum: loud", as SeaORM's derive writes it; each enum's doc names
//! its column), never a silent default.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// How much a notice matters (`notices.priority`).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Info,
    /// Asks for acknowledgement and leads the digest; held like `info`.
    Important,
    /// Breaks through quiet hours: justified, audited, counted.
    Urgent,
}
