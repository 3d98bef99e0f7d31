//! Refresh-ahead: the reports people looked at lately are computed again in the
//! background as soon as their tenant's data changes, and before [`MAX_AGE`] drops them.
//!
//! Without it the first look after any write waits for a whole-tenant computation
//! (80–330 ms with 100,000 devices, BENCHMARKS.md). With it that computation starts
//! within [`POLL`] of the write, on connections of its own, and someone who opens the
//! dashboard a moment after saving finds it ready; a look that comes sooner waits for the
//! computation already running instead of starting another. It polls the tenants' data
//! versions instead of hearing of writes, so writes through another instance on the same
//! PostgreSQL count too.
use std::{
    cmp::Reverse,
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{
    looks::Report,
    store::{Key, MAX_AGE, ReportCache, scope_of, scope_units},
};
use crate::{audit, auth::UnitScope, clock::Clock};

/// How often the watched tenants' versions are read.
pub const POLL: Duration = Duration::from_millis(250);
/// How long a report stays watched after its last look.
const WATCH_FOR: Duration = Duration::from_mins(10);
/// The most reports kept ready at once, the latest looked at first: each costs a
/// whole-tenant computation after every write.
const MAX_WATCHED: usize = 32;
/// A result this old is computed again before [`MAX_AGE`] drops it.
const RENEW_AFTER: Duration = MAX_AGE.saturating_sub(Duration::from_secs(15));

/// A report for a tenant and a scope (its units, as the cache keys them).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Watched {
    tenant_id: Uuid,
    report: Report,
    units: Option<Vec<Uuid>>,
}

/// The reports looked at lately, and when each was last looked at.
#[derive(Debug, Default)]
pub struct Watchlist {
    looks: Mutex<HashMap<Watched, Instant>>,
}

impl Watchlist {
    pub(super) fn looked(&self, tenant_id: Uuid, report: Report, scope: &UnitScope) {
        let watched = Watched {
            tenant_id,
            report,
            units: scope_units(scope),
        };
        // A panic elsewhere while holding the lock leaves a map that is still whole.
        let mut looks = self.looks.lock().unwrap_or_else(PoisonError::into_inner);
        looks.insert(watched, Instant::now());
    }

    /// What to keep ready at `now`, the latest looked at first; forgets the rest.
    fn watched(&self, now: Instant) -> Vec<Watched> {
        let mut looks = self.looks.lock().unwrap_or_else(PoisonError::into_inner);
        looks.retain(|_, at| now.saturating_duration_since(*at) < WATCH_FOR);
        let mut latest: Vec<(Instant, Watched)> = looks
            .iter()
            .map(|(watched, at)| (*at, watched.clone()))
            .collect();
        latest.sort_by_key(|(at, _)| Reverse(*at));
        let keep = latest.len().min(MAX_WATCHED);
        for (_, forgotten) in latest.drain(keep..) {
            looks.remove(&forgotten);
        }
        latest.into_iter().map(|(_, watched)| watched).collect()
    }
}

/// Computes the watched report looked at last among those whose data changed or whose
/// result grows old; answers whether there was one. The caller then asks again, so a
/// report looked at meanwhile goes first, and a write meanwhile puts the latest looked
/// at first again. A key whose computation failed is left until its data changes
/// (`failed`), so one failing report neither spins nor holds up the others.
pub(super) async fn refresh_next<C: ConnectionTrait>(
    cache: &ReportCache,
    db: &C,
    now: DateTime<Utc>,
    failed: &mut HashSet<Key>,
) -> bool {
    let mut versions: HashMap<Uuid, Option<Uuid>> = HashMap::new();
    for Watched {
        tenant_id,
        report,
        units,
    } in cache.watchlist.watched(Instant::now())
    {
        let version = match versions.get(&tenant_id) {
            Some(version) => *version,
            None => match audit::newest_event(db, tenant_id).await {
                Ok(version) => *versions.entry(tenant_id).or_insert(version),
                Err(error) => {
                    tracing::warn!(%tenant_id, error = ?error, "report refresh: no data version");
                    continue;
                }
            },
        };
        let scope = scope_of(units.as_ref());
        let key = Key::new(report.id(), tenant_id, units, now.date_naive(), version);
        if failed.contains(&key) || cache.holds(&key, RENEW_AFTER).await {
            continue;
        }
        let computed = report.compute(db, tenant_id, &scope, now);
        if let Err(error) = cache.renew(key.clone(), computed).await {
            tracing::warn!(?report, %tenant_id, error = ?error, "report refresh failed");
            if failed.len() >= MAX_WATCHED {
                failed.clear();
            }
            failed.insert(key);
        }
        return true;
    }
    false
}

/// Background time earned per second of wall time: refreshing takes at most half the
/// time however often the data changes, so a burst of writes leaves room for the people
/// making them.
const SHARE: f64 = 0.5;
/// Background time that can be saved up: a write after a quiet spell is refreshed at
/// once, and only a long run of writes is slowed down to [`SHARE`].
const BURST: Duration = Duration::from_secs(5);

/// Time the refresh may spend, earned as wall time passes (a token bucket).
#[derive(Debug)]
struct Budget {
    /// Seconds left to spend; below zero after a long refresh.
    credit: f64,
    earned_until: Instant,
}

impl Budget {
    fn new(now: Instant) -> Self {
        Self {
            credit: BURST.as_secs_f64(),
            earned_until: now,
        }
    }

    fn earn(&mut self, now: Instant) {
        let passed = now.saturating_duration_since(self.earned_until);
        self.credit = (self.credit + SHARE * passed.as_secs_f64()).min(BURST.as_secs_f64());
        self.earned_until = now;
    }

    fn spend(&mut self, spent: Duration) {
        self.credit -= spent.as_secs_f64();
    }

    /// How long to wait before the next refresh may start.
    fn wait(&self) -> Duration {
        Duration::from_secs_f64((-self.credit / SHARE).max(0.0))
    }
}

/// Keeps the watched reports ready until `stop`.
pub async fn run(
    cache: ReportCache,
    db: sea_orm::DatabaseConnection,
    clock: Arc<dyn Clock>,
    stop: CancellationToken,
) {
    let mut budget = Budget::new(Instant::now());
    let mut failed = HashSet::new();
    let mut busy = false;
    loop {
        // Straight on while there is work (and time for it), else the next poll.
        let pause = if busy {
            budget.wait()
        } else {
            POLL.max(budget.wait())
        };
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(pause) => {}
        }
        let started = Instant::now();
        budget.earn(started);
        busy = tokio::select! {
            () = stop.cancelled() => break,
            busy = refresh_next(&cache, &db, clock.now(), &mut failed) => busy,
        };
        budget.spend(started.elapsed());
    }
}

#[cfg(test)]
mod tests {
    use super::super::{
        looks as cached,
        store::tests::{database, write},
    };
    use super::*;
    use crate::{auth::Caller, tenants::bootstrap_tenant};

    /// Refreshes until nothing is due; answers how many reports were computed.
    async fn refresh_all(
        cache: &ReportCache,
        db: &sea_orm::DatabaseConnection,
        now: DateTime<Utc>,
    ) -> usize {
        let mut failed = HashSet::new();
        let mut computed = 0;
        while refresh_next(cache, db, now, &mut failed).await {
            computed += 1;
        }
        computed
    }

    #[tokio::test]
    async fn a_looked_at_report_is_computed_again_after_a_write_and_only_then() {
        let db = database().await;
        let a = bootstrap_tenant(&db, "A").await.unwrap().tenant_id;
        let b = bootstrap_tenant(&db, "B").await.unwrap().tenant_id;
        let cache = ReportCache::default();
        let now = Utc::now();
        assert_eq!(refresh_all(&cache, &db, now).await, 0, "nothing looked at");

        let first = cached::overview(&cache, &db, a, now).await.unwrap();
        assert_eq!(refresh_all(&cache, &db, now).await, 0, "still current");
        write(&db, b).await;
        assert_eq!(refresh_all(&cache, &db, now).await, 0, "another tenant");

        write(&db, a).await;
        assert_eq!(refresh_all(&cache, &db, now).await, 1, "after a write");
        assert_eq!(refresh_all(&cache, &db, now).await, 0, "once");
        // The next look gets the refreshed result, not the one from before the write.
        let next = cached::overview(&cache, &db, a, now).await.unwrap();
        assert!(!Arc::ptr_eq(&first, &next));
        let again = cached::overview(&cache, &db, a, now).await.unwrap();
        assert!(Arc::ptr_eq(&next, &again), "kept from the refresh");

        let tomorrow = now + chrono::Duration::days(1);
        assert_eq!(refresh_all(&cache, &db, tomorrow).await, 1, "a new day");
    }

    #[tokio::test]
    async fn the_report_looked_at_last_is_refreshed_first() {
        let db = database().await;
        let a = bootstrap_tenant(&db, "A").await.unwrap().tenant_id;
        let cache = ReportCache::default();
        let now = Utc::now();
        let all = UnitScope::Tenant;
        cached::overview(&cache, &db, a, now).await.unwrap();
        cached::returns_due(&cache, &db, &Caller::test_admin(a), 30, now)
            .await
            .unwrap();
        write(&db, a).await;
        let ready = |report: Report| {
            let (cache, db, all) = (&cache, &db, &all);
            async move {
                let key = cache
                    .key(db, report.id(), a, all, now.date_naive())
                    .await
                    .unwrap();
                cache.holds(&key, RENEW_AFTER).await
            }
        };
        let returns = Report::ReturnsDue { days: 30 };
        let mut failed = HashSet::new();
        assert!(refresh_next(&cache, &db, now, &mut failed).await);
        assert!(ready(returns).await, "the latest look first");
        assert!(!ready(Report::Overview).await, "one at a time");
        assert!(refresh_next(&cache, &db, now, &mut failed).await);
        assert!(ready(Report::Overview).await);
        assert!(!refresh_next(&cache, &db, now, &mut failed).await);
        assert!(failed.is_empty());
    }

    #[test]
    fn refreshing_gets_half_the_time_after_a_saved_up_burst() {
        let start = Instant::now();
        let mut budget = Budget::new(start);
        budget.spend(Duration::from_secs(1));
        assert_eq!(budget.wait(), Duration::ZERO, "a quiet spell saved up time");
        budget.spend(BURST);
        assert_eq!(
            budget.wait(),
            Duration::from_secs(2),
            "1 s overspent at half"
        );
        budget.earn(start + Duration::from_secs(2));
        assert_eq!(budget.wait(), Duration::ZERO);
        budget.earn(start + Duration::from_hours(1));
        budget.spend(BURST);
        assert_eq!(
            budget.wait(),
            Duration::ZERO,
            "savings are capped at the burst"
        );
        budget.spend(Duration::from_millis(500));
        assert_eq!(budget.wait(), Duration::from_secs(1));
    }

    #[test]
    fn the_latest_looks_are_watched_for_a_while() {
        let list = Watchlist::default();
        let tenants: Vec<Uuid> = (0..=MAX_WATCHED).map(|_| Uuid::now_v7()).collect();
        for tenant_id in &tenants {
            list.looked(*tenant_id, Report::Overview, &UnitScope::Tenant);
            std::thread::sleep(Duration::from_millis(1));
        }
        let units = UnitScope::Units([Uuid::now_v7()].into());
        let last = tenants[MAX_WATCHED];
        list.looked(last, Report::ReturnsDue { days: 30 }, &units);

        let watched = list.watched(Instant::now());
        assert_eq!(watched.len(), MAX_WATCHED);
        let first = &watched[0];
        assert_eq!(
            (
                first.tenant_id,
                first.report,
                scope_of(first.units.as_ref())
            ),
            (last, Report::ReturnsDue { days: 30 }, units),
            "latest first, in its own scope"
        );
        assert!(
            watched.iter().all(|w| w.tenant_id != tenants[0]),
            "the earliest look is forgotten"
        );
        assert!(list.watched(Instant::now() + WATCH_FOR).is_empty());
    }
}
