//! The organisation: units (a tree), role categories and employees.
pub mod employees;
pub mod managers;
pub mod roles;
pub mod units;

use std::collections::HashSet;

use entities::{contract, role, unit};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::error::{AppResult, FieldError};

/// The ids of a tenant's units and role categories, loaded once so that validating a
/// request, or every row of an import, checks references without a query per row.
#[derive(Clone, Debug, Default)]
pub struct KnownIds {
    pub units: HashSet<Uuid>,
    pub roles: HashSet<Uuid>,
    /// Framework agreements, which devices and subscriptions may name.
    pub contracts: HashSet<Uuid>,
}

impl KnownIds {
    pub async fn load<C: ConnectionTrait>(db: &C, tenant_id: Uuid) -> AppResult<Self> {
        let units: Vec<Uuid> = unit::Entity::find()
            .select_only()
            .column(unit::Column::Id)
            .filter(unit::Column::TenantId.eq(tenant_id))
            .into_tuple()
            .all(db)
            .await?;
        let roles: Vec<Uuid> = role::Entity::find()
            .select_only()
            .column(role::Column::Id)
            .filter(role::Column::TenantId.eq(tenant_id))
            .into_tuple()
            .all(db)
            .await?;
        let contracts: Vec<Uuid> = contract::Entity::find()
            .select_only()
            .column(contract::Column::Id)
            .filter(contract::Column::TenantId.eq(tenant_id))
            .into_tuple()
            .all(db)
            .await?;
        Ok(Self {
            units: units.into_iter().collect(),
            roles: roles.into_iter().collect(),
            contracts: contracts.into_iter().collect(),
        })
    }

    pub fn check_contract(&self, field: &str, id: Option<Uuid>, errors: &mut Vec<FieldError>) {
        if let Some(id) = id
            && !self.contracts.contains(&id)
        {
            errors.push(FieldError::new(field, "no such contract"));
        }
    }

    pub fn check_unit(&self, field: &str, unit_id: Option<Uuid>, errors: &mut Vec<FieldError>) {
        if let Some(id) = unit_id
            && !self.units.contains(&id)
        {
            errors.push(FieldError::new(field, "no such unit"));
        }
    }
}
