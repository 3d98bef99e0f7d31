//! Pushes that must not leave any more, told to this process's dispatcher by whoever
//! just cancelled a notice or acknowledged one: it checks right before each send, so a
//! push claimed earlier and still waiting for its turn stays on the ground.
//!
//! The outbox rows are ended in the same transaction as the cancel or the
//! acknowledgement; this is for the rows already claimed. A dispatcher in another
//! process learns of it when it claims next (it checks cancellations and
//! acknowledgements then), within a batch.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use uuid::Uuid;

/// Longer than any claim may wait in memory (three quarters of a lease, at most a few
/// minutes in any sane configuration): after this an entry has nothing left to stop.
const REMEMBERED_FOR: Duration = Duration::from_mins(15);

#[derive(Clone, Debug, Default)]
pub struct Stops(Arc<Mutex<Inner>>);

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
        let mut inner = self.0.lock().expect("not poisoned");
        inner.forget_old();
        inner.cancelled.insert(notice_id, Instant::now());
    }

    pub fn acknowledge(&self, notice_id: Uuid, employee_id: Uuid) {
        let mut inner = self.0.lock().expect("not poisoned");
        inner.forget_old();
        inner.acked.insert((notice_id, employee_id), Instant::now());
    }

    /// Whether a push of `notice_id` to `employee_id` must not leave.
    pub fn stopped(&self, notice_id: Uuid, employee_id: Uuid) -> Option<Stop> {
        let inner = self.0.lock().expect("not poisoned");
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
}
