//! Stilla: work phones, subscriptions and quiet-hours staff notices for Swedish
//! healthcare regions and municipalities.
//!
//! `main.rs` only parses the command line; everything it runs lives here so the
//! integration tests drive the very same code.
pub mod api;
pub mod app;
pub mod as_text;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod config;
pub mod csv_cells;
pub mod db;
pub mod delivery;
pub mod demo;
pub mod directory;
pub mod downloads;
pub mod error;
pub mod filters;
pub mod identity;
pub mod import;
mod import_names;
pub mod inventory;
pub mod limits;
pub mod money;
pub mod notices;
pub mod org;
pub mod pagination;
pub mod push;
pub mod reachability;
pub mod reports;
pub mod request_id;
pub mod rollout;
pub mod schedules;
pub mod secrets;
pub mod security_events;
pub mod site;
pub mod tenants;
pub mod validation;
pub mod web;
