//! Stilla's tables as SeaORM entities: plain data, one file per table, no logic.
//! The migrations are the source of truth for the schema; these mirror them.
pub mod absence;
pub mod api_token;
pub mod audit_event;
pub mod contract;
pub mod delivery;
pub mod device;
pub mod device_profile;
pub mod device_unit;
pub mod employee;
pub mod identity_provider;
pub mod notice;
pub mod notice_recipient;
pub mod policy;
pub mod push_registration;
pub mod role;
pub mod rollout_rule;
pub mod shift;
pub mod sign_in_attempt;
pub mod subscription;
pub mod tenant;
pub mod unit;
pub mod unit_manager;
pub mod vocab;
pub mod web_session;
