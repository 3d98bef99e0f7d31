//! The default provider: writes each push to the log. The embedded set-up needs no
//! Apple or Google credentials, and the outbox still records every push as sent.
use super::{Provider, Push, PushOutcome};

pub struct LogProvider;

#[async_trait::async_trait]
impl Provider for LogProvider {
    async fn send(&self, push: &Push) -> PushOutcome {
        // The device token stays out of the log: it addresses a person's phone. A
        // notice's title can say who is ill or which patient is waiting: it is written
        // only at debug, for a developer trying Stilla out.
        tracing::info!(
            notice_id = %push.notice_id,
            count = push.count,
            priority = ?push.priority,
            expires_at = ?push.expires_at,
            "push (log provider)"
        );
        tracing::debug!(notice_id = %push.notice_id, title = %push.title, "push title");
        PushOutcome::Sent
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A log writer that keeps what was written.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn at_the_default_level_the_log_has_neither_text_nor_token() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone())
            .finish();
        let push = Push {
            token: "apns-device-token-secret".to_owned(),
            title: "Patient Svensson väntar".to_owned(),
            body: "Sal 4".to_owned(),
            notice_id: uuid::Uuid::now_v7(),
            count: 1,
            unread: 1,
            platform: None,
            priority: crate::reachability::Priority::Info,
            expires_at: None,
            collapse_key: "k".to_owned(),
            now: chrono::Utc::now(),
        };
        let _guard = tracing::subscriber::set_default(subscriber);
        assert_eq!(LogProvider.send(&push).await, PushOutcome::Sent);
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains(&push.notice_id.to_string()), "{log}");
        for secret in ["apns-device-token-secret", "Svensson", "Sal 4"] {
            assert!(!log.contains(secret), "{secret} in {log}");
        }
    }
}
