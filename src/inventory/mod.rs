//! The device and subscription inventory: lifecycles, validation and visibility.
pub mod contracts;
pub mod devices;
pub mod identifiers;
pub mod lifecycle;
pub mod subscriptions;
pub mod summary;
pub mod visibility;
