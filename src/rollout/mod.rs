//! Roll-out planning: device profiles, rules by role and unit, and the report of who
//! gets what in which wave and what it costs.
pub mod profiles;
pub mod report;
pub mod rules;
