//! A nudge from whoever just made deliveries due (a notice sent in this process) to the
//! dispatcher, which would otherwise find them at its next poll, up to
//! `poll_interval_ms` later. Dispatchers in other processes still find them by polling.
use std::sync::Arc;

use tokio::sync::Notify;

#[derive(Clone, Debug, Default)]
pub struct DueNow(Arc<Notify>);

impl DueNow {
    /// Something is due: the dispatcher claims at once (a nudge while it is busy is
    /// kept for its next wait).
    pub fn nudge(&self) {
        self.0.notify_one();
    }

    pub async fn nudged(&self) {
        self.0.notified().await;
    }
}
