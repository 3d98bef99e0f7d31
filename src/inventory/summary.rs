//! The inventory in a few numbers: devices per status, subscriptions per status and
//! what the active ones cost a month. Grouped counts in the database, not rows here.
use entities::{device, subscription};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use crate::{error::AppResult, money::Money};

/// Stored statuses with their counts, in the lifecycle's order (zero counts included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusCounts(pub Vec<(&'static str, i64)>);

impl StatusCounts {
    pub fn total(&self) -> i64 {
        self.0.iter().map(|(_, n)| n).sum()
    }

    pub fn get(&self, status: &str) -> i64 {
        self.0
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n)
    }
}

#[derive(Clone, Debug)]
pub struct InventorySummary {
    pub devices: StatusCounts,
    pub subscriptions: StatusCounts,
    /// What the active subscriptions cost together each month.
    pub monthly_cost_active: Money,
}

pub const DEVICE_STATUSES: [&str; 5] = ["ordered", "in_stock", "assigned", "in_repair", "retired"];
pub const SUBSCRIPTION_STATUSES: [&str; 4] = ["ordered", "active", "suspended", "terminated"];

fn in_order(order: &[&'static str], found: Vec<(String, i64)>) -> StatusCounts {
    StatusCounts(
        order
            .iter()
            .map(|s| {
                let n = found.iter().find(|(f, _)| f == s).map_or(0, |(_, n)| *n);
                (*s, n)
            })
            .collect(),
    )
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
        .into_tuple::<(String, i64)>()
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
        .into_tuple::<(String, i64, Option<i64>)>()
        .all(db);
    // Both counts at once, each on its own pooled connection.
    let (devices, subscriptions) = tokio::try_join!(devices, subscriptions)?;
    let monthly_cost_active = subscriptions
        .iter()
        .find(|(s, _, _)| s == "active")
        .and_then(|(_, _, cost)| *cost)
        .unwrap_or(0);
    Ok(InventorySummary {
        devices: in_order(&DEVICE_STATUSES, devices),
        subscriptions: in_order(
            &SUBSCRIPTION_STATUSES,
            subscriptions.into_iter().map(|(s, n, _)| (s, n)).collect(),
        ),
        monthly_cost_active: Money(monthly_cost_active),
    })
}
