//! The cache itself: entries keyed by report, tenant, data version, day and scope.
use std::{
    any::Any,
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::refresh::Watchlist;
use crate::{audit, auth::UnitScope, error::AppError, error::AppResult};

/// The longest a result is reused, whatever the version says.
pub const MAX_AGE: Duration = Duration::from_mins(1);

/// Bytes the cache may hold, by the results' own estimates ([`Weigh`]).
const CAPACITY_BYTES: u64 = 256 * 1024 * 1024;

/// Which result, for whom, computed from which data.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Key {
    /// The report and its parameters, e.g. `("returns-due", 30)`.
    report: &'static str,
    parameter: i64,
    tenant_id: Uuid,
    /// The caller's units, sorted; none for the whole tenant (a scope of no units is
    /// not the whole tenant).
    units: Option<Vec<Uuid>>,
    /// Reports count days (returns due, ended employments): a new day is new data.
    day: NaiveDate,
    version: Option<Uuid>,
}

impl Key {
    pub(super) fn new(
        (report, parameter): (&'static str, i64),
        tenant_id: Uuid,
        units: Option<Vec<Uuid>>,
        day: NaiveDate,
        version: Option<Uuid>,
    ) -> Self {
        Key {
            report,
            parameter,
            tenant_id,
            units,
            day,
            version,
        }
    }
}

/// A rough size in bytes, so that a few big reports cannot crowd out memory.
pub trait Weigh {
    fn weigh(&self) -> usize;
}

/// A computed result, its weight and when it was computed.
#[derive(Clone)]
pub(super) struct Entry {
    bytes: u32,
    computed: Instant,
    value: Arc<dyn Any + Send + Sync>,
}

impl Entry {
    pub(super) fn new<T: Weigh + Send + Sync + 'static>(value: T) -> Self {
        Self {
            bytes: u32::try_from(value.weigh()).unwrap_or(u32::MAX),
            computed: Instant::now(),
            value: Arc::new(value),
        }
    }

    fn downcast<T: Send + Sync + 'static>(self, report: &str) -> AppResult<Arc<T>> {
        self.value.downcast::<T>().map_err(|_| {
            AppError::Internal(anyhow::anyhow!("report cache: {report} holds another type"))
        })
    }
}

#[derive(Clone)]
pub struct ReportCache {
    entries: moka::future::Cache<Key, Entry>,
    /// What people looked at lately, for [`super::refresh`].
    pub(super) watchlist: Arc<Watchlist>,
}

// How full the cache is, not what it holds.
#[allow(clippy::missing_fields_in_debug)]
impl std::fmt::Debug for ReportCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportCache")
            .field("entries", &self.entries.entry_count())
            .finish()
    }
}

impl Default for ReportCache {
    fn default() -> Self {
        Self {
            entries: moka::future::Cache::builder()
                .time_to_live(MAX_AGE)
                .max_capacity(CAPACITY_BYTES)
                .weigher(|_: &Key, entry: &Entry| entry.bytes)
                .build(),
            watchlist: Arc::default(),
        }
    }
}

/// A scope as part of a key: its units, sorted; none for the whole tenant.
pub(super) fn scope_units(scope: &UnitScope) -> Option<Vec<Uuid>> {
    match scope {
        UnitScope::Tenant => None,
        UnitScope::Units(units) => {
            let mut units: Vec<Uuid> = units.iter().copied().collect();
            units.sort_unstable();
            Some(units)
        }
    }
}

/// The scope a key's units stand for ([`scope_units`] backwards).
pub(super) fn scope_of(units: Option<&Vec<Uuid>>) -> UnitScope {
    match units {
        None => UnitScope::Tenant,
        Some(units) => UnitScope::Units(units.iter().copied().collect()),
    }
}

impl ReportCache {
    /// The result `compute` makes for this report, parameter, tenant, scope and day:
    /// kept from an earlier call while the tenant's data has not changed, else computed
    /// now (`compute` runs only then).
    pub(super) async fn get_or_compute<C, T>(
        &self,
        db: &C,
        report: (&'static str, i64),
        tenant_id: Uuid,
        scope: &UnitScope,
        day: NaiveDate,
        compute: impl Future<Output = AppResult<Entry>>,
    ) -> AppResult<Arc<T>>
    where
        C: ConnectionTrait,
        T: Send + Sync + 'static,
    {
        let key = self.key(db, report, tenant_id, scope, day).await?;
        self.entry(key, compute).await?.downcast(report.0)
    }

    /// The key of a result computed now. The version is read before computing: a write
    /// landing in between leaves a result newer than its key says, which the next look
    /// replaces — never the other way round.
    pub(super) async fn key<C: ConnectionTrait>(
        &self,
        db: &C,
        report: (&'static str, i64),
        tenant_id: Uuid,
        scope: &UnitScope,
        day: NaiveDate,
    ) -> AppResult<Key> {
        let version = audit::newest_event(db, tenant_id).await?;
        Ok(Key::new(
            report,
            tenant_id,
            scope_units(scope),
            day,
            version,
        ))
    }

    /// The entry under `key`, computed by `compute` if there is none; lookers of the
    /// same missing key share one computation.
    async fn entry(
        &self,
        key: Key,
        compute: impl Future<Output = AppResult<Entry>>,
    ) -> AppResult<Entry> {
        self.entries
            .try_get_with(key, compute)
            .await
            // The cache shares a failure with everyone who waited for it, so it comes
            // back behind an Arc; its Debug form keeps the cause for the log.
            .map_err(|e: Arc<AppError>| AppError::Internal(anyhow::anyhow!("{e:?}")))
    }

    /// Whether `key` holds a result computed less than `age` ago.
    pub(super) async fn holds(&self, key: &Key, age: Duration) -> bool {
        self.entries
            .get(key)
            .await
            .is_some_and(|entry| entry.computed.elapsed() < age)
    }

    /// Computes the result under `key` again: a missing one the way lookers do (they
    /// share the computation), one already there beside it (lookers keep getting it
    /// until the new one replaces it).
    pub(super) async fn renew(
        &self,
        key: Key,
        compute: impl Future<Output = AppResult<Entry>>,
    ) -> AppResult<()> {
        if self.entries.contains_key(&key) {
            let entry = compute.await?;
            self.entries.insert(key, entry).await;
        } else {
            self.entry(key, compute).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::{audit::Actor, tenants::bootstrap_tenant};

    struct Figure(usize);

    impl Weigh for Figure {
        fn weigh(&self) -> usize {
            8
        }
    }

    /// A migrated in-memory database (the refresh's tests use it too).
    pub(in crate::reports) async fn database() -> sea_orm::DatabaseConnection {
        let db = crate::db::connect("sqlite::memory:", 1).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        db
    }

    /// Looks at a report whose computation counts how often it ran.
    async fn look(
        cache: &ReportCache,
        db: &sea_orm::DatabaseConnection,
        tenant_id: Uuid,
        scope: &UnitScope,
        day: NaiveDate,
        runs: &AtomicUsize,
    ) -> usize {
        cache
            .get_or_compute::<_, Figure>(db, ("figure", 1), tenant_id, scope, day, async {
                Ok(Entry::new(Figure(runs.fetch_add(1, Ordering::SeqCst) + 1)))
            })
            .await
            .unwrap()
            .0
    }

    /// An audited write: the tenant's data version moves.
    pub(in crate::reports) async fn write(db: &sea_orm::DatabaseConnection, tenant_id: Uuid) {
        let actor = Actor {
            tenant_id,
            token_id: None,
            name: "test".to_owned(),
        };
        audit::record(db, &actor, "update", "unit", Uuid::now_v7(), None, Some(&1))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_result_is_reused_until_the_tenant_writes_or_the_day_or_scope_changes() {
        let db = database().await;
        let a = bootstrap_tenant(&db, "A").await.unwrap().tenant_id;
        let b = bootstrap_tenant(&db, "B").await.unwrap().tenant_id;
        let cache = ReportCache::default();
        let runs = AtomicUsize::new(0);
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let all = UnitScope::Tenant;

        assert_eq!(look(&cache, &db, a, &all, today, &runs).await, 1);
        assert_eq!(look(&cache, &db, a, &all, today, &runs).await, 1, "reused");

        // Another tenant's write changes nothing for this one.
        write(&db, b).await;
        assert_eq!(look(&cache, &db, a, &all, today, &runs).await, 1);

        write(&db, a).await;
        assert_eq!(
            look(&cache, &db, a, &all, today, &runs).await,
            2,
            "after a write"
        );
        assert_eq!(look(&cache, &db, a, &all, today, &runs).await, 2);

        let tomorrow = today.succ_opt().unwrap();
        assert_eq!(
            look(&cache, &db, a, &all, tomorrow, &runs).await,
            3,
            "a new day"
        );

        let units = UnitScope::Units([Uuid::now_v7()].into());
        assert_eq!(
            look(&cache, &db, a, &units, today, &runs).await,
            4,
            "other units"
        );
        assert_eq!(
            look(&cache, &db, b, &all, today, &runs).await,
            5,
            "other tenant"
        );
        assert_eq!(
            look(&cache, &db, a, &all, today, &runs).await,
            2,
            "still kept"
        );
    }

    #[tokio::test]
    async fn a_scope_of_no_units_is_not_the_whole_tenant() {
        let db = database().await;
        let a = bootstrap_tenant(&db, "A").await.unwrap().tenant_id;
        let cache = ReportCache::default();
        let runs = AtomicUsize::new(0);
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(
            look(&cache, &db, a, &UnitScope::Tenant, today, &runs).await,
            1
        );
        let none = UnitScope::Units(std::collections::HashSet::default());
        assert_eq!(look(&cache, &db, a, &none, today, &runs).await, 2);
    }

    #[tokio::test]
    async fn a_failed_computation_is_not_kept() {
        let db = database().await;
        let a = bootstrap_tenant(&db, "A").await.unwrap().tenant_id;
        let cache = ReportCache::default();
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let failed = cache
            .get_or_compute::<_, Figure>(&db, ("figure", 1), a, &UnitScope::Tenant, today, async {
                Err(AppError::Conflict("busy".to_owned()))
            })
            .await;
        let message = failed.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("busy"),
            "the computation's error: {message}"
        );
        let runs = AtomicUsize::new(0);
        assert_eq!(
            look(&cache, &db, a, &UnitScope::Tenant, today, &runs).await,
            1
        );
    }
}
