//! The dispatcher: a pipeline that keeps up to `concurrency` pushes in flight. It
//! claims due rows (urgent first, then in queue order) whenever fewer than a batch are
//! waiting in memory, hands each push to its own task as a place frees up — no batch
//! waits for its slowest push — and leaves the outcomes to the recorder
//! ([`super::record`]), which writes them as they finish. No transaction is open while
//! a push is in flight.
use std::{cmp::Ordering, collections::BinaryHeap, pin::Pin, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use tokio::{sync::mpsc, task::JoinSet, time::Instant};
use tokio_util::{sync::CancellationToken, task::AbortOnDropHandle};
use uuid::Uuid;

use super::{
    DueNow, Stops,
    claim::{ClaimTerms, Claimed, claim},
    jobs::{Job, prepare},
    record::{Finished, Settle, hold, recorder, settle, stopped},
    retry::RetryPolicy,
    stops::Hearing,
};
use crate::{
    clock::Clock,
    error::AppResult,
    push::{
        Providers, PushOutcome,
        health::{Admission, Verdict},
    },
};

/// `[delivery]`
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct DeliveryConfig {
    /// Run a dispatcher in `serve`. Several processes on one PostgreSQL database may.
    pub enabled: bool,
    /// How long to wait before asking again when nothing was due.
    pub poll_interval_ms: u64,
    /// Rows claimed at a time; another claim is made when fewer wait in memory.
    pub batch_size: u64,
    /// Pushes in flight at once, over all providers.
    pub concurrency: usize,
    /// Outcomes are written at least this often.
    pub record_every_ms: u64,
    /// A claim lapses after this and another dispatcher takes the rows.
    pub lease_seconds: u32,
    /// A row whose claim lapsed this many times (each dispatcher holding it died)
    /// ends `dead` instead of being taken over again.
    pub max_lost_claims: u32,
    /// Urgent notices with `repeat_until_ack` are pushed again this often...
    pub repeat_every_seconds: i64,
    /// ...for at most this long after the first push.
    pub repeat_for_minutes: i64,
    pub retry: RetryPolicy,
}

/// The defaults of `config/default.toml`.
impl Default for DeliveryConfig {
    fn default() -> Self {
        crate::config::Config::default().delivery
    }
}

pub struct Dispatcher {
    shared: Arc<Shared>,
    due_now: DueNow,
}

struct Shared {
    db: DatabaseConnection,
    providers: Providers,
    clock: Arc<dyn Clock>,
    config: Arc<DeliveryConfig>,
    id: Uuid,
    /// Cancels and acknowledgements made since the rows were claimed, here or (heard
    /// through `broadcast`) elsewhere.
    stops: Stops,
}

/// A job waiting in memory for a place in flight: urgent first, then queue order,
/// then the order claimed.
struct Waiting {
    job: Job,
    deadline: Instant,
    seq: u64,
    /// Where hearing of stops stood when the rows were claimed.
    heard: Hearing,
}

/// Larger goes first: urgent, then the earlier place in the queue, then claimed first.
type Rank = (bool, std::cmp::Reverse<(Option<DateTime<Utc>>, u64)>);

impl Waiting {
    fn key(&self) -> Rank {
        let (urgent, queue_at) = self.job.rank();
        (urgent, std::cmp::Reverse((queue_at, self.seq)))
    }
}

impl PartialEq for Waiting {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Waiting {}
impl PartialOrd for Waiting {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Waiting {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

/// Until when the pipeline runs.
enum Until<'a> {
    /// Nothing is due and nothing in flight (tests, benchmarks, `tick`).
    Drained,
    Shutdown(&'a CancellationToken),
}

type Claiming = Pin<Box<dyn Future<Output = AppResult<(Vec<Job>, Vec<(Claimed, Settle)>)>> + Send>>;

impl Dispatcher {
    pub fn new(
        db: DatabaseConnection,
        providers: Providers,
        clock: Arc<dyn Clock>,
        config: DeliveryConfig,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                db,
                providers,
                clock,
                config: Arc::new(config),
                id: Uuid::now_v7(),
                stops: Stops::default(),
            }),
            due_now: DueNow::default(),
        }
    }

    /// Claims at once when `due_now` is nudged, instead of at the next poll.
    #[must_use]
    pub fn nudged_by(mut self, due_now: DueNow) -> Self {
        self.due_now = due_now;
        self
    }

    /// Checks `stops` right before each send: what was cancelled or acknowledged after
    /// its rows were claimed does not leave.
    #[must_use]
    pub fn stopped_by(mut self, stops: Stops) -> Self {
        Arc::get_mut(&mut self.shared)
            .expect("set up before it runs")
            .stops = stops;
        self
    }

    /// Dispatches until `shutdown`; pushes in flight are finished first, and rows
    /// claimed but not yet pushed go back to the queue.
    pub async fn run(self, shutdown: CancellationToken) {
        let id = self.shared.id;
        tracing::info!(dispatcher = %id, "dispatcher started");
        while !shutdown.is_cancelled() {
            if let Err(e) = self.pump(&Until::Shutdown(&shutdown)).await {
                tracing::warn!(error = %e, "dispatching failed; trying again");
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
        tracing::info!(dispatcher = %id, "dispatcher stopped");
    }

    /// Pushes everything due now, and returns when nothing is due and nothing is in
    /// flight: the rows handled.
    pub async fn tick(&self) -> AppResult<usize> {
        self.pump(&Until::Drained).await
    }

    async fn pump(&self, until: &Until<'_>) -> AppResult<usize> {
        let shared = &self.shared;
        let config = &shared.config;
        let batch = config.batch_size.max(1) as usize;
        let idle = Duration::from_millis(config.poll_interval_ms.max(1));
        let (to_recorder, finished) = mpsc::unbounded_channel();
        // Dies with the pipeline, as it would with the process: what it had not written
        // yet is pushed again once the leases lapse (at-least-once).
        let recording = AbortOnDropHandle::new(tokio::spawn(recorder(
            shared.db.clone(),
            shared.id,
            shared.clock.clone(),
            config.clone(),
            finished,
        )));

        let mut waiting: BinaryHeap<Waiting> = BinaryHeap::new();
        let mut in_flight: JoinSet<()> = JoinSet::new();
        let mut claiming: Option<Claiming> = None;
        let mut claim_heard = shared.stops.hearing();
        let mut next_claim = Instant::now();
        let mut drained = false;
        let mut stopping = false;
        let mut handled = 0;
        let mut seq = 0u64;
        let mut failure = None;

        loop {
            // The recorder gave up on the database: push nothing more that could not
            // be written down.
            stopping |= to_recorder.is_closed();
            while in_flight.len() < config.concurrency.max(1) && !stopping {
                let Some(next) = waiting.pop() else { break };
                in_flight.spawn(send(shared.clone(), next, to_recorder.clone()));
            }
            let wants_more = !stopping && !drained && waiting.len() < batch;
            if claiming.is_none() && wants_more && Instant::now() >= next_claim {
                // Before the claim reads cancellations: what comes later must be heard.
                claim_heard = shared.stops.hearing();
                claiming = Some(Box::pin(claim_and_prepare(shared.clone(), batch as u64)));
            }
            if claiming.is_none() && in_flight.is_empty() {
                if stopping {
                    break;
                }
                if waiting.is_empty() && drained && matches!(until, Until::Drained) {
                    break;
                }
            }
            let claim_due = claiming.is_none() && wants_more;
            tokio::select! {
                claimed = async { claiming.as_mut().expect("guarded").await }, if claiming.is_some() => {
                    claiming = None;
                    match claimed {
                        Ok((jobs, ended)) => {
                            let claimed_now = jobs.iter().map(|j| j.rows.len()).sum::<usize>() + ended.len();
                            handled += claimed_now;
                            if !ended.is_empty() {
                                let _ = to_recorder.send(Finished::rows(ended));
                            }
                            // Every push must end well inside the lease, or another
                            // dispatcher could take the rows and push them again.
                            let deadline = Instant::now()
                                + Duration::from_secs(u64::from(config.lease_seconds)) * 3 / 4;
                            for job in jobs {
                                seq += 1;
                                waiting.push(Waiting { job, deadline, seq, heard: claim_heard });
                            }
                            if claimed_now < batch {
                                drained = matches!(until, Until::Drained);
                                next_claim = Instant::now() + idle;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "claiming deliveries failed");
                            failure = Some(e);
                            stopping = true;
                        }
                    }
                }
                Some(joined) = in_flight.join_next(), if !in_flight.is_empty() => {
                    if let Err(e) = joined {
                        tracing::error!(error = %e, "a push task failed");
                    }
                }
                () = tokio::time::sleep_until(next_claim), if claim_due && Instant::now() < next_claim => {}
                () = self.due_now.nudged(), if claim_due && Instant::now() < next_claim => {
                    next_claim = Instant::now();
                }
                () = shutdown_of(until), if !stopping => {
                    stopping = true;
                }
            }
        }
        // Claimed and never pushed: back to the queue for whoever comes next.
        let released: Vec<(Claimed, Settle)> = waiting
            .into_iter()
            .flat_map(|w| w.job.rows)
            .map(|row| (row, Settle::Release))
            .collect();
        if !released.is_empty() {
            handled -= released.len();
            let _ = to_recorder.send(Finished::rows(released));
        }
        drop(to_recorder);
        let recorded = recording
            .await
            .map_err(|e| crate::error::AppError::Internal(anyhow::anyhow!("recorder: {e}")))?;
        match failure {
            Some(e) => Err(e),
            None => recorded.map(|()| handled),
        }
    }
}

/// Resolves when `until` is a shutdown that was asked for; never for a drain.
async fn shutdown_of(until: &Until<'_>) {
    match until {
        Until::Shutdown(token) => token.cancelled().await,
        Until::Drained => std::future::pending().await,
    }
}

async fn claim_and_prepare(
    shared: Arc<Shared>,
    limit: u64,
) -> AppResult<(Vec<Job>, Vec<(Claimed, Settle)>)> {
    let now = shared.clock.now();
    let terms = ClaimTerms {
        limit,
        lease_seconds: shared.config.lease_seconds,
        max_lost_claims: shared.config.max_lost_claims,
    };
    let claimed = claim(&shared.db, shared.id, terms, now).await?;
    if claimed.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    prepare(&shared.db, &shared.providers, claimed, now).await
}

/// One push, start to outcome; the outcome goes to the recorder. Its credentials'
/// health decides first whether it goes at all, and then what the answer means.
async fn send(shared: Arc<Shared>, waiting: Waiting, recorder: mpsc::UnboundedSender<Finished>) {
    let Waiting {
        job,
        deadline,
        heard,
        ..
    } = waiting;
    if !shared.stops.heard_everything_since(heard)
        && let Err(e) = shared.stops.catch_up(&shared.db, &job.rows).await
    {
        // Cannot tell whether they were stopped meanwhile: back to the queue, to be
        // claimed (and checked) again.
        tracing::warn!(error = %e, "checking for cancels before a push failed");
        let rows = job.rows.into_iter().map(|r| (r, Settle::Release)).collect();
        let _ = recorder.send(Finished::rows(rows));
        return;
    }
    let stop_of = |r: &Claimed| shared.stops.stopped(r.notice_id, r.employee_id);
    // Checked without allocating: nearly every push has nothing stopped.
    if job.rows.iter().any(|r| stop_of(r).is_some()) {
        // The stopped rows end here; the others of a digest go back to the queue at
        // once, to be claimed and pushed without them.
        let rows = job
            .rows
            .into_iter()
            .map(|row| {
                let settled = stop_of(&row).map_or(Settle::Release, |stop| stopped(&row, stop));
                (row, settled)
            })
            .collect();
        let _ = recorder.send(Finished::rows(rows));
        return;
    }
    let health = &shared.providers.health;
    let (verdict, change, tried) = match (
        health.admit(&job.credentials, shared.clock.now()),
        &job.provider,
    ) {
        (Admission::Hold { until, reason }, _) => (Verdict::Hold { until, reason }, None, false),
        (Admission::Go, Ok(provider)) => {
            let outcome = tokio::time::timeout_at(deadline, provider.send(&job.push))
                .await
                .unwrap_or_else(|_| PushOutcome::Retry {
                    error: "not pushed before the claim ran out".to_owned(),
                    retry_after: None,
                });
            let (verdict, change) = health.observe(&job.credentials, outcome, shared.clock.now());
            (verdict, change, true)
        }
        (Admission::Go, Err(instead)) => {
            let (verdict, change) =
                health.observe(&job.credentials, instead.clone(), shared.clock.now());
            (verdict, change, false)
        }
    };
    let now = shared.clock.now();
    let jitter = rand::random::<f64>();
    let gone = match &verdict {
        Verdict::Outcome(PushOutcome::TokenGone { reason }) => {
            Some((job.rows[0].registration_id, reason.clone()))
        }
        _ => None,
    };
    let rows = job
        .rows
        .into_iter()
        .map(|row| {
            let settled = match &verdict {
                Verdict::Outcome(outcome) => {
                    let repeats = job.repeating.contains(&row.notice_id);
                    settle(&shared.config, &row, outcome, repeats, now, jitter)
                }
                Verdict::Hold { until, reason } => hold(&row, *until, reason, tried),
            };
            (row, settled)
        })
        .collect();
    let _ = recorder.send(Finished {
        rows,
        gone,
        changes: change.into_iter().collect(),
    });
}
