//! Unit trees: a manager of a unit manages its whole subtree.
use std::collections::{HashMap, HashSet};

use entities::unit;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::error::AppResult;

/// The units a caller may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnitScope {
    /// The whole tenant.
    Tenant,
    /// These units only (already expanded to their subtrees).
    Units(HashSet<Uuid>),
}

impl UnitScope {
    pub fn contains(&self, unit_id: Uuid) -> bool {
        match self {
            UnitScope::Tenant => true,
            UnitScope::Units(units) => units.contains(&unit_id),
        }
    }
}

/// The given units and every unit below them, in one query for the tenant's tree.
/// Roots from another tenant contribute nothing.
pub async fn subtree_of<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    roots: &[Uuid],
) -> AppResult<HashSet<Uuid>> {
    let edges: Vec<(Uuid, Option<Uuid>)> = unit::Entity::find()
        .select_only()
        .column(unit::Column::Id)
        .column(unit::Column::ParentId)
        .filter(unit::Column::TenantId.eq(tenant_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(expand_subtree(&edges, roots))
}

/// Pure part of [`subtree_of`]: walks child links from the roots.
pub fn expand_subtree(edges: &[(Uuid, Option<Uuid>)], roots: &[Uuid]) -> HashSet<Uuid> {
    let mut children: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let known: HashSet<Uuid> = edges.iter().map(|(id, _)| *id).collect();
    for (id, parent) in edges {
        if let Some(parent) = parent {
            children.entry(*parent).or_default().push(*id);
        }
    }
    let mut seen = HashSet::new();
    let mut stack: Vec<Uuid> = roots
        .iter()
        .copied()
        .filter(|r| known.contains(r))
        .collect();
    while let Some(id) = stack.pop() {
        if seen.insert(id)
            && let Some(kids) = children.get(&id)
        {
            stack.extend(kids);
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subtree_holds_the_root_and_all_below_it_only() {
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        // 0 -> 1 -> 2, 0 -> 3, 4 alone
        let edges = vec![
            (ids[0], None),
            (ids[1], Some(ids[0])),
            (ids[2], Some(ids[1])),
            (ids[3], Some(ids[0])),
            (ids[4], None),
        ];
        let sub = expand_subtree(&edges, &[ids[1]]);
        assert_eq!(sub, HashSet::from([ids[1], ids[2]]));
        let all = expand_subtree(&edges, &[ids[0]]);
        assert_eq!(all.len(), 4);
        assert!(!all.contains(&ids[4]));
        assert!(expand_subtree(&edges, &[Uuid::now_v7()]).is_empty());
    }
}
