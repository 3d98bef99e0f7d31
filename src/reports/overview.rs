//! The dashboard's figures: the inventory by status and the follow-up reports' row
//! counts, counted in the database under the reports' own rules.
use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::follow_up;
use crate::{
    error::AppResult,
    inventory::{
        contracts::contracts_expiring_count,
        summary::{InventorySummary, inventory_summary},
    },
};

/// Days ahead the overview looks for returns and agreements, as the reports default.
pub const RETURNS_DAYS: i64 = 30;
pub const CONTRACT_DAYS: i64 = 180;

#[derive(Clone, Debug)]
pub struct Overview {
    pub inventory: InventorySummary,
    /// Rows of the returns-due report (30 days).
    pub returns_due: u64,
    /// Agreements whose notice date falls within 180 days.
    pub contracts_expiring: u64,
    /// Rows of the unused-subscriptions report.
    pub unused_subscriptions: u64,
}

pub async fn overview<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    today: NaiveDate,
) -> AppResult<Overview> {
    // Independent counts, side by side on their own pooled connections.
    let (inventory, returns_due, contracts_expiring, unused_subscriptions) = tokio::try_join!(
        inventory_summary(db, tenant_id),
        follow_up::returns_due_count(db, tenant_id, RETURNS_DAYS, today),
        contracts_expiring_count(db, tenant_id, CONTRACT_DAYS, today),
        follow_up::unused_subscriptions_count(db, tenant_id, today),
    )?;
    Ok(Overview {
        inventory,
        returns_due,
        contracts_expiring,
        unused_subscriptions,
    })
}
