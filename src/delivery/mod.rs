//! Getting notices onto phones: the outbox rows, claiming them, the dispatcher that
//! pushes them, and the retry policy. Delivery is at-least-once: a push in flight when a
//! process dies may go again once its lease lapses; the phone collapses the duplicate.
pub mod broadcast;
pub mod claim;
pub mod dispatcher;
mod jobs;
pub mod outbox;
mod record;
pub mod retry;
mod stops;
mod wake;

pub use dispatcher::{DeliveryConfig, Dispatcher};
pub use stops::Stops;
pub use wake::DueNow;
