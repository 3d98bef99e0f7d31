//! Report results kept until the tenant's data changes.
//!
//! The follow-up reports, the roll-out planner's inputs and the dashboard's figures read
//! the whole tenant: with 100,000 devices that is 50–400 ms on SQLite however the queries
//! are written (a join over 60,000 assigned devices alone takes 100 ms there), while the
//! data behind them changes far less often than people look at them.
//!
//! Every write records an audit event in its own transaction, and event ids are
//! time-ordered, so the tenant's newest event id is its data version
//! ([`crate::audit::newest_event`], one index probe). A result is reused while the
//! version, the day it was computed for, the caller's units and the report's parameters
//! are all the same; any write makes the next look compute afresh. Concurrent looks at
//! the same missing result wait for one computation instead of each starting their own.
//! The reports people looked at lately are computed again in the background as soon as
//! their data changes ([`refresh`]), so the next look usually finds them ready.
//!
//! Two changes do not move the version, so a result is also kept at most [`MAX_AGE`]:
//! push registrations seen again (the utilization report's "active" column), and, with
//! several instances on one PostgreSQL, a write whose event id sorts before the newest
//! one (another instance's clock behind, or transactions committing out of order).
//!
//! The face other modules see: [`ReportCache`], one look function per cached report
//! ([`utilization`], [`unused_subscriptions`], [`returns_due`], [`rollout_inputs`],
//! [`overview`]) and [`refresh_ahead`], the background task `serve` runs.
mod looks;
mod refresh;
mod store;

pub use looks::{Report, overview, returns_due, rollout_inputs, unused_subscriptions, utilization};
pub use refresh::run as refresh_ahead;
pub use store::{MAX_AGE, ReportCache};
