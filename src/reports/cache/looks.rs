//! The reports that read the whole tenant, through the [`ReportCache`]: what the API's
//! report routes and the console's pages call, so both reuse one computation.
use std::{mem::size_of, sync::Arc};

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::store::{Entry, ReportCache, Weigh};
use crate::auth::{Access, Caller, Resource};
use crate::reports::{
    follow_up::{self, ReturnsDue, UnusedSubscriptions, Utilization},
    overview::{self, Overview},
};
use crate::{auth::UnitScope, error::AppResult, rollout::report::Inputs};

impl Weigh for Utilization {
    fn weigh(&self) -> usize {
        self.rows.len() * (size_of::<follow_up::UtilizationRow>() + 32)
    }
}

impl Weigh for UnusedSubscriptions {
    fn weigh(&self) -> usize {
        self.rows.len() * (size_of::<follow_up::UnusedRow>() + 16)
    }
}

impl Weigh for ReturnsDue {
    fn weigh(&self) -> usize {
        self.rows.len() * (size_of::<follow_up::ReturnRow>() + 48)
    }
}

impl Weigh for Inputs {
    fn weigh(&self) -> usize {
        self.staff.len() * size_of::<crate::rollout::report::Staff>()
            + self.equipped.len() * (size_of::<(Uuid, String)>() + 8)
            + (self.parents.len() + self.unit_names.len() + self.role_names.len()) * 64
    }
}

impl Weigh for Overview {
    fn weigh(&self) -> usize {
        size_of::<Overview>() + 256
    }
}

/// A report the cache keeps, with its parameters: what a look names, and what the
/// background refresh ([`super::refresh`]) computes again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Report {
    Utilization {
        days: i64,
    },
    UnusedSubscriptions,
    ReturnsDue {
        days: i64,
    },
    RolloutInputs,
    /// The admin dashboard's figures: always the whole tenant.
    Overview,
}

impl Report {
    /// The report's name and parameter, as the cache keys them.
    pub(super) fn id(self) -> (&'static str, i64) {
        match self {
            Report::Utilization { days } => ("utilization", days),
            Report::UnusedSubscriptions => ("unused-subscriptions", 0),
            Report::ReturnsDue { days } => ("returns-due", days),
            Report::RolloutInputs => ("rollout-inputs", 0),
            Report::Overview => ("overview", 0),
        }
    }

    /// Computes the report from the database now.
    pub(super) async fn compute<C: ConnectionTrait>(
        self,
        db: &C,
        tenant_id: Uuid,
        scope: &UnitScope,
        now: DateTime<Utc>,
    ) -> AppResult<Entry> {
        let today = now.date_naive();
        Ok(match self {
            Report::Utilization { days } => {
                Entry::new(follow_up::utilization(db, tenant_id, scope, days, now).await?)
            }
            Report::UnusedSubscriptions => {
                Entry::new(follow_up::unused_subscriptions(db, tenant_id, scope, today).await?)
            }
            Report::ReturnsDue { days } => {
                Entry::new(follow_up::returns_due(db, tenant_id, scope, days, today).await?)
            }
            Report::RolloutInputs => {
                Entry::new(crate::rollout::report::load(db, tenant_id, scope, today).await?)
            }
            Report::Overview => Entry::new(overview::overview(db, tenant_id, today).await?),
        })
    }
}

/// The report for this tenant and scope, kept or computed now; noted as looked at, so
/// the background refresh keeps it ready.
async fn look<C: ConnectionTrait, T: Send + Sync + 'static>(
    cache: &ReportCache,
    db: &C,
    report: Report,
    tenant_id: Uuid,
    scope: &UnitScope,
    now: DateTime<Utc>,
) -> AppResult<Arc<T>> {
    cache.watchlist.looked(tenant_id, report, scope);
    let computed = report.compute(db, tenant_id, scope, now);
    cache
        .get_or_compute(
            db,
            report.id(),
            tenant_id,
            scope,
            now.date_naive(),
            computed,
        )
        .await
}

pub async fn utilization<C: ConnectionTrait>(
    cache: &ReportCache,
    db: &C,
    caller: &Caller,
    days: i64,
    now: DateTime<Utc>,
) -> AppResult<Arc<Utilization>> {
    caller.may(Resource::Reports, Access::Read)?;
    let (tenant_id, scope) = (caller.tenant_id, &caller.unit_scope(db).await?);
    look(
        cache,
        db,
        Report::Utilization { days },
        tenant_id,
        scope,
        now,
    )
    .await
}

pub async fn unused_subscriptions<C: ConnectionTrait>(
    cache: &ReportCache,
    db: &C,
    caller: &Caller,
    now: DateTime<Utc>,
) -> AppResult<Arc<UnusedSubscriptions>> {
    caller.may(Resource::Reports, Access::Read)?;
    let (tenant_id, scope) = (caller.tenant_id, &caller.unit_scope(db).await?);
    look(
        cache,
        db,
        Report::UnusedSubscriptions,
        tenant_id,
        scope,
        now,
    )
    .await
}

pub async fn returns_due<C: ConnectionTrait>(
    cache: &ReportCache,
    db: &C,
    caller: &Caller,
    days: i64,
    now: DateTime<Utc>,
) -> AppResult<Arc<ReturnsDue>> {
    caller.may(Resource::Reports, Access::Read)?;
    let (tenant_id, scope) = (caller.tenant_id, &caller.unit_scope(db).await?);
    look(
        cache,
        db,
        Report::ReturnsDue { days },
        tenant_id,
        scope,
        now,
    )
    .await
}

/// What the roll-out plan and the wave comparison are computed from (computing them
/// from these takes a few milliseconds; reading these takes hundreds).
pub async fn rollout_inputs<C: ConnectionTrait>(
    cache: &ReportCache,
    db: &C,
    caller: &Caller,
    now: DateTime<Utc>,
) -> AppResult<Arc<Inputs>> {
    caller.may(Resource::Reports, Access::Read)?;
    let (tenant_id, scope) = (caller.tenant_id, &caller.unit_scope(db).await?);
    look(cache, db, Report::RolloutInputs, tenant_id, scope, now).await
}

pub async fn overview<C: ConnectionTrait>(
    cache: &ReportCache,
    db: &C,
    tenant_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Arc<Overview>> {
    let all = UnitScope::Tenant;
    look(cache, db, Report::Overview, tenant_id, &all, now).await
}
