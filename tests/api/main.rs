//! Integration tests: one binary, the real app on port 0, each test on a fresh SQLite
//! file and (with `STILLA_TEST_POSTGRES`) a fresh PostgreSQL database.
mod helpers;

mod apple;
mod authorization;
mod cli;
mod console;
mod console_authorization;
mod console_browser;
mod console_devices;
mod console_forms;
mod console_working_time;
mod delivery;
mod devices;
mod directory;
mod dispatch_order;
mod fcm;
mod hardening;
mod health;
mod idp;
mod imports;
mod lists;
mod network;
mod notice_templates;
mod notices;
mod oidc_provider;
mod organisation;
mod provider_health;
mod push_apps;
mod reliability;
mod reports;
mod rollout;
mod sign_in;
mod stopping;
mod subscriptions;
mod validation;
mod working_time;
