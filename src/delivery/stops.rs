//! Pushes that must not leave any more, told to this process's dispatcher by whoever
//! just cancelled a notice or acknowledged one: it checks right before each send, so a
//! push claimed earlier and still waiting for its turn stays on the ground.
//!
//! The outbox rows are ended in the same transaction as the cancel or the
//! acknowledgement; this is for the rows already claimed. Other processes on the same
//! PostgreSQL database hear of it through [`super::broadcast`] within milliseconds of
//! the commit. Where that hearing may have missed something (before it started, while
//! its connection was lost), [`Stops::heard_everything_since`] says so and the
//! dispatcher asks the database instead ([`Stops::catch_up`]).
use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::claim::Claimed;
use crate::error::AppResult;

/// Longer than any claim may wait in memory (three quarters of a lease, at most a few
/// minutes in any sane configuration): after this an entry has nothing left to stop.
const REMEMBERED_FOR: Duration = Duration::from_mins(15);

#[derive(Clone, Debug, Default)]
pub struct Stops {
    inner: Arc<Mutex<Inner>>,
    /// Counts the times hearing was lost or regained: even while every stop made
    /// anywhere reaches this process, odd while it may not. A single process (SQLite,
    /// tests) stays at 0.
    hearing: Arc<AtomicU64>,
}

/// Where hearing stood when a claim read the database's cancellations and
/// acknowledgements: whatever came after must have been heard, or be asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hearing(u64);

#[derive(Debug, Default)]
struct Inner {
    /// Cancelled notices, and when this process heard of it.
    cancelled: HashMap<Uuid, Instant>,
    /// (notice, person) acknowledged.
    acked: HashMap<(Uuid, Uuid), Instant>,
}

/// Why a push stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    Cancelled,
    Acked,
}

impl Stops {
    pub fn cancel(&self, notice_id: Uuid) {
        let mut inner = self.inner.lock().expect("not poisoned");
        inner.forget_old();
        inner.cancelled.insert(notice_id, Instant::now());
    }

    pub fn acknowledge(&self, notice_id: Uuid, employee_id: Uuid) {
        let mut inner = self.inner.lock().expect("not poisoned");
        inner.forget_old();
        inner.acked.insert((notice_id, employee_id), Instant::now());
    }

    /// Whether a push of `notice_id` to `employee_id` must not leave.
    pub fn stopped(&self, notice_id: Uuid, employee_id: Uuid) -> Option<Stop> {
        let inner = self.inner.lock().expect("not poisoned");
        if inner.cancelled.is_empty() && inner.acked.is_empty() {
            return None;
        }
        if inner.cancelled.contains_key(&notice_id) {
            Some(Stop::Cancelled)
        } else if inner.acked.contains_key(&(notice_id, employee_id)) {
            Some(Stop::Acked)
        } else {
            None
        }
    }

    /// Now, to compare with later (take it before reading the database).
    pub fn hearing(&self) -> Hearing {
        Hearing(self.hearing.load(Ordering::SeqCst))
    }

    /// Whether every stop made since `then` has reached this process: hearing was
    /// whole then and has not been lost since.
    pub fn heard_everything_since(&self, then: Hearing) -> bool {
        then.0.is_multiple_of(2) && self.hearing.load(Ordering::SeqCst) == then.0
    }

    /// Stops made elsewhere may not reach this process from now on.
    pub fn lost_hearing(&self) {
        let _ = self
            .hearing
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                n.is_multiple_of(2).then_some(n + 1)
            });
    }

    /// Every stop made from now on reaches this process again.
    pub fn hearing_again(&self) {
        let _ = self
            .hearing
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (!n.is_multiple_of(2)).then_some(n + 1)
            });
    }

    /// Asks the database what it knows of `rows`' notices and people — cancels and
    /// acknowledgements this process may not have heard of — and remembers them.
    pub async fn catch_up(&self, db: &DatabaseConnection, rows: &[Claimed]) -> AppResult<()> {
        let notices: HashSet<Uuid> = rows.iter().map(|r| r.notice_id).collect();
        for notice_id in super::jobs::cancelled(db, notices).await? {
            self.cancel(notice_id);
        }
        for (notice_id, employee_id) in super::jobs::acknowledged(db, rows).await? {
            self.acknowledge(notice_id, employee_id);
        }
        Ok(())
    }
}

impl Inner {
    fn forget_old(&mut self) {
        let fresh = |at: &mut Instant| at.elapsed() < REMEMBERED_FOR;
        self.cancelled.retain(|_, at| fresh(at));
        self.acked.retain(|_, at| fresh(at));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancel_stops_every_push_of_the_notice_an_ack_only_that_persons() {
        let stops = Stops::default();
        let (notice, other, anna, bo) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        assert_eq!(stops.stopped(notice, anna), None);
        stops.acknowledge(notice, anna);
        assert_eq!(stops.stopped(notice, anna), Some(Stop::Acked));
        assert_eq!(stops.stopped(notice, bo), None);
        assert_eq!(stops.stopped(other, anna), None);
        stops.cancel(notice);
        assert_eq!(stops.stopped(notice, bo), Some(Stop::Cancelled));
        assert_eq!(stops.stopped(notice, anna), Some(Stop::Cancelled));
        assert_eq!(stops.stopped(other, bo), None);
    }

    #[test]
    fn hearing_lost_at_any_moment_after_a_claim_is_noticed_even_once_regained() {
        let stops = Stops::default();
        let at_claim = stops.hearing();
        assert!(stops.heard_everything_since(at_claim));
        stops.lost_hearing();
        assert!(!stops.heard_everything_since(at_claim));
        let while_deaf = stops.hearing();
        assert!(!stops.heard_everything_since(while_deaf));
        stops.lost_hearing();
        stops.hearing_again();
        assert!(!stops.heard_everything_since(at_claim));
        assert!(!stops.heard_everything_since(while_deaf));
        let now = stops.hearing();
        stops.hearing_again();
        assert!(stops.heard_everything_since(now));
    }
}
