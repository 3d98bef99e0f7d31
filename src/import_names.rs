//! Units and roles in an import file as people write them: a unit by its name or its
//! cost centre, a role by its name (case and surrounding spaces aside), as well as by
//! id. A spreadsheet kept by HR has "Avd 12" or "K-4410", never a UUID.
use entities::{role, unit};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::error::AppResult;

/// The tenant's units and roles, to look names up in.
#[derive(Clone, Debug, Default)]
pub struct Names {
    /// (unit, name, cost centre), both lower case.
    units: Vec<(Uuid, String, Option<String>)>,
    /// (role, name) lower case.
    roles: Vec<(Uuid, String)>,
}

impl Names {
    pub async fn load<C: ConnectionTrait>(db: &C, tenant_id: Uuid) -> AppResult<Self> {
        let units: Vec<(Uuid, String, Option<String>)> = unit::Entity::find()
            .select_only()
            .columns([
                unit::Column::Id,
                unit::Column::Name,
                unit::Column::CostCenter,
            ])
            .filter(unit::Column::TenantId.eq(tenant_id))
            .into_tuple()
            .all(db)
            .await?;
        let roles: Vec<(Uuid, String)> = role::Entity::find()
            .select_only()
            .columns([role::Column::Id, role::Column::Name])
            .filter(role::Column::TenantId.eq(tenant_id))
            .into_tuple()
            .all(db)
            .await?;
        Ok(Names {
            units: units
                .into_iter()
                .map(|(id, name, cost)| (id, folded(&name), cost.as_deref().map(folded)))
                .collect(),
            roles: roles
                .into_iter()
                .map(|(id, name)| (id, folded(&name)))
                .collect(),
        })
    }

    /// The value for `column` as an id: an id stays as it is; a unit's or role's name
    /// (or a unit's cost centre) becomes its id; `Err` says why it cannot.
    pub fn resolve(&self, column: &str, value: &str) -> Result<Option<String>, &'static str> {
        if value.parse::<Uuid>().is_ok() {
            return Ok(None);
        }
        let wanted = folded(value);
        let found: Vec<Uuid> = match column {
            "unit_id" => {
                let by_name: Vec<Uuid> = self
                    .units
                    .iter()
                    .filter(|(_, name, _)| *name == wanted)
                    .map(|(id, _, _)| *id)
                    .collect();
                if by_name.is_empty() {
                    self.units
                        .iter()
                        .filter(|(_, _, cost)| cost.as_deref() == Some(wanted.as_str()))
                        .map(|(id, _, _)| *id)
                        .collect()
                } else {
                    by_name
                }
            }
            "role_id" => self
                .roles
                .iter()
                .filter(|(_, name)| *name == wanted)
                .map(|(id, _)| *id)
                .collect(),
            _ => return Ok(None),
        };
        match (column, found.as_slice()) {
            (_, [one]) => Ok(Some(one.to_string())),
            ("unit_id", []) => Err("no unit has this name, cost centre or id"),
            ("unit_id", _) => Err("several units have this name; give the cost centre"),
            (_, []) => Err("no role has this name or id"),
            _ => Err("several roles have this name; give the id"),
        }
    }
}

fn folded(text: &str) -> String {
    text.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_by_name_or_cost_centre_roles_by_name_ids_as_they_are() {
        let (avd, natt, twin_a, twin_b, nurse) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let names = Names {
            units: vec![
                (avd, "avd 12".into(), Some("k-4410".into())),
                (natt, "avd 12 natt".into(), None),
                (twin_a, "kök".into(), Some("k-1".into())),
                (twin_b, "kök".into(), Some("k-2".into())),
            ],
            roles: vec![(nurse, "sjuksköterska".into())],
        };
        assert_eq!(
            names.resolve("unit_id", " AVD 12 "),
            Ok(Some(avd.to_string()))
        );
        assert_eq!(
            names.resolve("unit_id", "K-4410"),
            Ok(Some(avd.to_string()))
        );
        assert_eq!(names.resolve("unit_id", &natt.to_string()), Ok(None));
        assert_eq!(
            names.resolve("unit_id", "Kök"),
            Err("several units have this name; give the cost centre")
        );
        assert_eq!(
            names.resolve("unit_id", "k-2"),
            Ok(Some(twin_b.to_string()))
        );
        assert!(names.resolve("unit_id", "Avd 99").is_err());
        assert_eq!(
            names.resolve("role_id", "Sjuksköterska"),
            Ok(Some(nurse.to_string()))
        );
        assert!(names.resolve("role_id", "Läkare").is_err());
        assert_eq!(names.resolve("name", "Anna"), Ok(None));
    }
}
