//! Stops told to every process on the same PostgreSQL database: whoever cancels or
//! acknowledges a notice announces it with `NOTIFY` inside the same transaction, so it
//! goes out exactly when (and only if) the change commits; each serving process listens
//! and adds what it hears to its own [`Stops`]. SQLite has one process, which hears its
//! own stops directly.
//!
//! What LISTEN cannot promise, the dispatcher makes up for: until the listener is in
//! place, and from the moment its connection is lost until it is back, [`Stops`] counts
//! itself deaf, and a push claimed before that asks the database once more right before
//! it leaves (see [`Stops::catch_up`]).
use std::{ops::ControlFlow, time::Duration};

use sea_orm::{
    ConnectionTrait, DbBackend, Statement,
    sqlx::{Error as SqlxError, postgres::PgListener},
};
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::Stops;
use crate::error::AppResult;

/// The channel every process listens on.
pub const CHANNEL: &str = "stilla_stops";

/// A stop as it travels between processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Announced {
    Cancelled { notice_id: Uuid },
    Acked { notice_id: Uuid, employee_id: Uuid },
}

impl Announced {
    fn payload(self) -> String {
        match self {
            Announced::Cancelled { notice_id } => format!("cancel {notice_id}"),
            Announced::Acked {
                notice_id,
                employee_id,
            } => format!("ack {notice_id} {employee_id}"),
        }
    }

    fn parse(payload: &str) -> Option<Self> {
        let mut words = payload.split(' ');
        let announced = match (words.next()?, words.next()?, words.next()) {
            ("cancel", notice, None) => Announced::Cancelled {
                notice_id: notice.parse().ok()?,
            },
            ("ack", notice, Some(employee)) => Announced::Acked {
                notice_id: notice.parse().ok()?,
                employee_id: employee.parse().ok()?,
            },
            _ => return None,
        };
        words.next().is_none().then_some(announced)
    }

    fn apply(self, stops: &Stops) {
        match self {
            Announced::Cancelled { notice_id } => stops.cancel(notice_id),
            Announced::Acked {
                notice_id,
                employee_id,
            } => stops.acknowledge(notice_id, employee_id),
        }
    }
}

/// Tells every listening process of `stop` once the transaction `db` is in commits
/// (nothing on SQLite).
pub async fn announce<C: ConnectionTrait>(db: &C, stop: Announced) -> AppResult<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), stop.payload().into()],
        ))
        .await?;
    }
    Ok(())
}

/// Longest wait between attempts to listen again while the database is away.
const MOST_BACKOFF: Duration = Duration::from_secs(10);

/// Listens on the PostgreSQL database at `url` until `shutdown`, adding what it hears
/// to `stops`, and keeping `stops` told whether it hears everything.
pub async fn listen(url: SecretString, stops: Stops, shutdown: CancellationToken) {
    let mut backoff = Duration::from_millis(100);
    loop {
        stops.lost_hearing();
        let listening = tokio::select! {
            () = shutdown.cancelled() => return,
            listening = start_listening(url.expose_secret()) => listening,
        };
        match listening {
            Ok(listener) => {
                stops.hearing_again();
                backoff = Duration::from_millis(100);
                tracing::debug!("listening for cancels and acknowledgements");
                if hear_until_lost(listener, &stops, &shutdown)
                    .await
                    .is_break()
                {
                    return;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for cancels yet; trying again");
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MOST_BACKOFF);
            }
        }
    }
}

/// Adds what `listener` hears to `stops` until its connection is lost (to listen
/// again) or `shutdown` (to stop).
async fn hear_until_lost(
    mut listener: PgListener,
    stops: &Stops,
    shutdown: &CancellationToken,
) -> ControlFlow<()> {
    loop {
        let heard = tokio::select! {
            () = shutdown.cancelled() => return ControlFlow::Break(()),
            heard = listener.try_recv() => heard,
        };
        let notification = match heard {
            Ok(Some(notification)) => notification,
            Ok(None) => {
                tracing::warn!("lost the database connection that hears cancels");
                return ControlFlow::Continue(());
            }
            Err(e) => {
                tracing::warn!(error = %e, "hearing cancels failed");
                return ControlFlow::Continue(());
            }
        };
        if let Some(stop) = Announced::parse(notification.payload()) {
            stop.apply(stops);
        } else {
            tracing::warn!(
                payload = notification.payload(),
                "an announced stop that means nothing here"
            );
        }
    }
}

async fn start_listening(url: &str) -> Result<PgListener, SqlxError> {
    let mut listener = PgListener::connect(url).await?;
    // A lost connection is ours to notice: `try_recv` answers `None` at once, and we
    // count ourselves deaf until a new one listens.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announced_stops_travel_and_come_back_the_same() {
        let (notice_id, employee_id) = (Uuid::now_v7(), Uuid::now_v7());
        for stop in [
            Announced::Cancelled { notice_id },
            Announced::Acked {
                notice_id,
                employee_id,
            },
        ] {
            assert_eq!(Announced::parse(&stop.payload()), Some(stop));
        }
        for nonsense in [
            "",
            "cancel",
            "cancel x",
            &format!("cancel {notice_id} {employee_id}"),
            &format!("ack {notice_id}"),
            &format!("ack {notice_id} {employee_id} more"),
            &format!("stop {notice_id}"),
        ] {
            assert_eq!(Announced::parse(nonsense), None, "{nonsense:?}");
        }
    }
}
