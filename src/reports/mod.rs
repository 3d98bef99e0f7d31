//! Follow-up reports, each a plain result with a [`table::Table`] of its figures; the
//! HTTP layer ([`crate::downloads`]) answers it as JSON, CSV or an Excel workbook.
pub mod after_hours;
pub mod cache;
pub mod follow_up;
pub mod overview;
pub mod table;
