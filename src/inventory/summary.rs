//! The inventory in a few numbers: devices per status, subscriptions per status and
//! what the active ones cost a month. Grouped counts in the database, not rows here.
use entities::{device, subscription};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::lifecycle::{DeviceStatus, SubscriptionStatus};
use crate::{error::AppResult, money::Money};

/// Every status with its count, in the lifecycle's order (the vocabulary's; zero counts
/// included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusCounts<S>(pub Vec<(S, i64)>);

impl<S: sea_orm::Iterable + PartialEq + Copy> StatusCounts<S> {
    fn in_order(found: &[(S, i64)]) -> Self {
        StatusCounts(
            S::iter()
                .map(|s| {
                    let n = found.iter().find(|(f, _)| *f == s).map_or(0, |(_, n)| *n);
                    (s, n)
                })
                .collect(),
        )
    }

    pub fn total(&self) -> i64 {
        self.0.iter().map(|(_, n)| n).sum()
    }

    pub fn get(&self, status: S) -> i64 {
        self.0
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n)
    }
}

#[derive(Clone, Debug)]
pub struct InventorySummary {
    pub devices: StatusCounts<DeviceStatus>,
    pub subscriptions: StatusCounts<SubscriptionStatus>,
    /// What the active subscriptions cost together each month.
    pub monthly_cost_active: Money,
}

pub async fn inventory_summary<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
) -> AppResult<InventorySummary> {
    let devices = device::Entity::find()
        .select_only()
        .column(device::Column::Status)
        .column_as(Expr::col(device::Column::Id).count(), "n")
        .filter(device::Column::TenantId.eq(tenant_id))
        .group_by(device::Column::Status)
        .into_tuple::<(DeviceStatus, i64)>()
        .all(db);
    let subscriptions = subscription::Entity::find()
        .select_only()
        .column(subscription::Column::Status)
        .column_as(Expr::col(subscription::Column::Id).count(), "n")
        // SUM of a bigint is numeric on PostgreSQL: cast back so both stores give i64.
        .column_as(
            Expr::col(subscription::Column::MonthlyCostOre)
                .sum()
                .cast_as("bigint"),
            "cost",
        )
        .filter(subscription::Column::TenantId.eq(tenant_id))
        .group_by(subscription::Column::Status)
        .into_tuple::<(SubscriptionStatus, i64, Option<i64>)>()
        .all(db);
    // Both counts at once, each on its own pooled connection.
    let (devices, subscriptions) = tokio::try_join!(devices, subscriptions)?;
    let monthly_cost_active = subscriptions
        .iter()
        .find(|(s, _, _)| *s == SubscriptionStatus::Active)
        .and_then(|(_, _, cost)| *cost)
        .unwrap_or(0);
    Ok(InventorySummary {
        devices: StatusCounts::in_order(&devices),
        subscriptions: StatusCounts::in_order(
            &subscriptions
                .into_iter()
                .map(|(s, n, _)| (s, n))
                .collect::<Vec<_>>(),
        ),
        monthly_cost_active: Money(monthly_cost_active),
    })
}
