//! The schema's history. One file per change; a file that has landed is never edited,
//! a change to it is a new migration.
pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261122_000001_foundation;
mod m20261122_000002_working_time;
mod m20261122_000003_device_units;
mod m20261122_000004_notices;
mod m20261122_000005_rollout;
mod m20261201_000006_web_sessions;
mod m20261202_000007_report_indexes;
mod m20261202_000008_device_search;
mod m20261202_000009_subscription_search;
mod m20261204_000010_credential_lifetimes;
mod m20261205_000011_identity;
mod m20261205_000012_directory;
mod m20261205_000013_delivery_queue;
mod m20261205_000014_push_apps;
mod m20261205_000015_lost_claims;
mod m20261205_000016_push_platform;
mod m20261206_000017_repair_details;
mod m20261206_000018_notice_templates;
mod m20261207_000019_sort_indexes;
mod m20261207_000020_managers_edit_hours;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_working_time::Migration),
            Box::new(m20261122_000003_device_units::Migration),
            Box::new(m20261122_000004_notices::Migration),
            Box::new(m20261122_000005_rollout::Migration),
            Box::new(m20261201_000006_web_sessions::Migration),
            Box::new(m20261202_000007_report_indexes::Migration),
            Box::new(m20261202_000008_device_search::Migration),
            Box::new(m20261202_000009_subscription_search::Migration),
            Box::new(m20261204_000010_credential_lifetimes::Migration),
            Box::new(m20261205_000011_identity::Migration),
            Box::new(m20261205_000012_directory::Migration),
            Box::new(m20261205_000013_delivery_queue::Migration),
            Box::new(m20261205_000014_push_apps::Migration),
            Box::new(m20261205_000015_lost_claims::Migration),
            Box::new(m20261205_000016_push_platform::Migration),
            Box::new(m20261206_000017_repair_details::Migration),
            Box::new(m20261206_000018_notice_templates::Migration),
            Box::new(m20261207_000019_sort_indexes::Migration),
            Box::new(m20261207_000020_managers_edit_hours::Migration),
        ]
    }
}
