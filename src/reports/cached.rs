//! The reports that read the whole tenant, through the [`ReportCache`]: what the API's
//! report routes and the console's pages call, so both reuse one computation.
use std::{mem::size_of, sync::Arc};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{
    cache::{ReportCache, Weigh},
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

pub async fn utilization<C: ConnectionTrait>(
    cache: &ReportCache,
    db: &C,
    tenant_id: Uuid,
    scope: &UnitScope,
    days: i64,
    now: DateTime<Utc>,
) -> AppResult<Arc<Utilization>> {
    cache
        .get_or_compute(
            db,
            ("utilization", days),
            tenant_id,
            scope,
            now.date_naive(),
            || follow_up::utilization(db, tenant_id, scope, days, now),
        )
        .await
}

pub async fn unused_subscriptions<C: ConnectionTrait>(
    cache: &ReportCache,
    db: &C,
    tenant_id: Uuid,
    scope: &UnitScope,
    today: NaiveDate,
) -> AppResult<Arc<UnusedSubscriptions>> {
    cache
        .get_or_compute(
            db,
            ("unused-subscriptions", 0),
            tenant_id,
            scope,
            today,
            || follow_up::unused_subscriptions(db, tenant_id, scope, today),
        )
        .await
}

pub async fn returns_due<C: ConnectionTrait>(
    cache: &ReportCache,
    db: &C,
    tenant_id: Uuid,
    scope: &UnitScope,
    days: i64,
    today: NaiveDate,
) -> AppResult<Arc<ReturnsDue>> {
    cache
        .get_or_compute(db, ("returns-due", days), tenant_id, scope, today, || {
            follow_up::returns_due(db, tenant_id, scope, days, today)
        })
        .await
}

/// What the roll-out plan and the wave comparison are computed from (computing them
/// from these takes a few milliseconds; reading these takes hundreds).
pub async fn rollout_inputs<C: ConnectionTrait>(
    cache: &ReportCache,
    db: &C,
    tenant_id: Uuid,
    scope: &UnitScope,
    today: NaiveDate,
) -> AppResult<Arc<Inputs>> {
    cache
        .get_or_compute(db, ("rollout-inputs", 0), tenant_id, scope, today, || {
            crate::rollout::report::load(db, tenant_id, scope, today)
        })
        .await
}

pub async fn overview<C: ConnectionTrait>(
    cache: &ReportCache,
    db: &C,
    tenant_id: Uuid,
    today: NaiveDate,
) -> AppResult<Arc<Overview>> {
    cache
        .get_or_compute(
            db,
            ("overview", 0),
            tenant_id,
            &UnitScope::Tenant,
            today,
            || overview::overview(db, tenant_id, today),
        )
        .await
}
