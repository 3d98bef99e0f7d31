//! The organisation: units (a tree), role categories and employees.
pub mod employees;
pub mod roles;
pub mod units;

use std::collections::HashSet;

use entities::{contract, role, unit};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::error::{AppResult, FieldError};

/// Deserializes a PATCH field so that an absent key (`None`) differs from an explicit
/// `null` (`Some(None)`, which clears the value).
pub fn patch_field<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// Trims a required text field, checking its length; records an error if it is bad.
pub fn required_text(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.push(FieldError::new(field, "must not be empty"));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    value.to_owned()
}

/// Trims an optional text field; blank becomes absent.
pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Some(value.to_owned())
}

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
