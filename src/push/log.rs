//! The default provider: writes each push to the log. The embedded set-up needs no
//! Apple or Google credentials, and the outbox still records every push as sent.
use super::{Provider, Push, PushOutcome};

pub struct LogProvider;

#[async_trait::async_trait]
impl Provider for LogProvider {
    async fn send(&self, push: &Push) -> PushOutcome {
        // The device token stays out of the log: it addresses a person's phone.
        tracing::info!(
            notice_id = %push.notice_id,
            count = push.count,
            priority = ?push.priority,
            expires_at = ?push.expires_at,
            title = %push.title,
            "push (log provider)"
        );
        PushOutcome::Sent
    }
}
