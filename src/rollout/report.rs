//! The roll-out report: who gets which profile (the most specific rule wins), how many
//! are already equipped, and what introduction and a year of operation cost.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use entities::{device, device_profile, employee, role, rollout_rule, unit};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::UnitScope,
    error::AppResult,
    inventory::devices::{DeviceKind, Ownership},
    money::{Money, div_round_half_up},
    reports::table::{Cell, Table, names},
};

/// A profile's figures, in öre.
#[derive(Clone, Debug)]
pub struct Profile {
    pub name: String,
    pub kind: DeviceKind,
    pub device_price: i64,
    pub setup_cost: i64,
    pub monthly_subscription: i64,
    pub monthly_support: i64,
    pub lifetime_months: i64,
}

#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub role_id: Uuid,
    pub unit_id: Option<Uuid>,
    pub profile_id: Option<Uuid>,
    pub wave: i32,
}

#[derive(Clone, Copy, Debug)]
pub struct Staff {
    pub id: Uuid,
    pub unit_id: Uuid,
    pub role_id: Uuid,
}

/// Everything the report is computed from (loaded by [`load`], or built by tests).
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    pub staff: Vec<Staff>,
    pub parents: HashMap<Uuid, Option<Uuid>>,
    pub unit_names: HashMap<Uuid, String>,
    pub role_names: HashMap<Uuid, String>,
    pub rules: Vec<Rule>,
    pub profiles: HashMap<Uuid, Profile>,
    /// (employee, device kind) for each organization-owned device assigned to someone.
    pub equipped: HashSet<(Uuid, DeviceKind)>,
    /// Organization-owned devices `in_stock`, by kind.
    pub in_stock: HashMap<DeviceKind, u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RolloutRow {
    pub unit_id: Uuid,
    pub unit_name: String,
    pub role_id: Uuid,
    pub role_name: String,
    pub profile_id: Uuid,
    pub profile_name: String,
    pub device_kind: DeviceKind,
    pub wave: i32,
    pub headcount: u64,
    pub equipped: u64,
    pub to_equip: u64,
    pub introduction_cost: Money,
    pub annual_operating_cost: Money,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct RolloutTotals {
    pub headcount: u64,
    pub to_equip: u64,
    /// Devices in stock handed out instead of bought.
    pub stock_reused: u64,
    pub to_purchase: u64,
    /// The rows' sum less the price of the stock reused.
    pub introduction_cost: Money,
    pub annual_operating_cost: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RolloutReport {
    /// Only rules with a wave up to this one (all when null).
    pub wave: Option<i32>,
    pub rows: Vec<RolloutRow>,
    pub totals: RolloutTotals,
}

/// The profile the most specific rule gives (role, unit): a rule on the unit, else on
/// the nearest ancestor, else tenant-wide. `None` when no rule speaks of them.
fn resolve(
    inputs: &Inputs,
    rules: &HashMap<(Uuid, Option<Uuid>), Rule>,
    role: Uuid,
    unit: Uuid,
) -> Option<Rule> {
    let mut cursor = Some(unit);
    let mut steps = 0;
    while let Some(u) = cursor {
        if let Some(rule) = rules.get(&(role, Some(u))) {
            return Some(*rule);
        }
        cursor = inputs.parents.get(&u).copied().flatten();
        steps += 1;
        if steps > inputs.parents.len() {
            break;
        }
    }
    rules.get(&(role, None)).copied()
}

/// The report for rules with a wave up to `max_wave` (all when `None`). A group whose
/// most specific rule lies in a later wave is not covered yet: it is left out rather than
/// given what a less specific rule says, which the plan overrides for it.
pub fn compute(inputs: &Inputs, max_wave: Option<i32>) -> RolloutReport {
    let rules: HashMap<(Uuid, Option<Uuid>), Rule> = inputs
        .rules
        .iter()
        .map(|r| ((r.role_id, r.unit_id), *r))
        .collect();
    let mut resolved: HashMap<(Uuid, Uuid), Option<Rule>> = HashMap::new();
    // (unit, role) -> (rule, headcount, equipped)
    let mut groups: HashMap<(Uuid, Uuid), (Rule, u64, u64)> = HashMap::new();
    for person in &inputs.staff {
        let rule = *resolved
            .entry((person.unit_id, person.role_id))
            .or_insert_with(|| resolve(inputs, &rules, person.role_id, person.unit_id));
        let Some(rule) = rule else { continue };
        let Some(profile) = rule.profile_id.and_then(|p| inputs.profiles.get(&p)) else {
            continue; // "This group gets no device."
        };
        if max_wave.is_some_and(|w| rule.wave > w) {
            continue;
        }
        let group = groups
            .entry((person.unit_id, person.role_id))
            .or_insert((rule, 0, 0));
        group.1 += 1;
        if inputs.equipped.contains(&(person.id, profile.kind)) {
            group.2 += 1;
        }
    }
    let mut rows: Vec<RolloutRow> = groups
        .into_iter()
        .map(|((unit_id, role_id), (rule, headcount, equipped))| {
            let profile_id = rule.profile_id.expect("groups have a profile");
            let p = &inputs.profiles[&profile_id];
            let to_equip = headcount - equipped;
            let per_month = i128::from(p.monthly_subscription + p.monthly_support);
            let annual = i128::from(headcount as i64) * 12 * per_month;
            let depreciation = div_round_half_up(
                i128::from(headcount as i64) * i128::from(p.device_price) * 12,
                i128::from(p.lifetime_months.max(1)),
            );
            RolloutRow {
                unit_id,
                unit_name: inputs.unit_names.get(&unit_id).cloned().unwrap_or_default(),
                role_id,
                role_name: inputs.role_names.get(&role_id).cloned().unwrap_or_default(),
                profile_id,
                profile_name: p.name.clone(),
                device_kind: p.kind,
                wave: rule.wave,
                headcount,
                equipped,
                to_equip,
                introduction_cost: Money(to_equip as i64 * (p.device_price + p.setup_cost)),
                annual_operating_cost: Money(annual as i64 + depreciation),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (a.wave, &a.unit_name, &a.role_name, a.unit_id, a.role_id).cmp(&(
            b.wave,
            &b.unit_name,
            &b.role_name,
            b.unit_id,
            b.role_id,
        ))
    });
    let mut totals = RolloutTotals::default();
    let mut stock = inputs.in_stock.clone();
    let mut credited = 0;
    let mut introduction = 0;
    let mut annual = 0;
    for row in &rows {
        totals.headcount += row.headcount;
        totals.to_equip += row.to_equip;
        introduction += row.introduction_cost.ore();
        annual += row.annual_operating_cost.ore();
        // Stock goes to rows in wave order, then row order, at their device price.
        let left = stock.entry(row.device_kind).or_default();
        let reused = (*left).min(row.to_equip);
        *left -= reused;
        totals.stock_reused += reused;
        credited += reused as i64 * inputs.profiles[&row.profile_id].device_price;
    }
    totals.to_purchase = totals.to_equip - totals.stock_reused;
    totals.introduction_cost = Money(introduction - credited);
    totals.annual_operating_cost = Money(annual);
    RolloutReport {
        wave: max_wave,
        rows,
        totals,
    }
}

/// Reads what [`compute`] needs, for the units `scope` covers.
pub async fn load<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    scope: &UnitScope,
    today: NaiveDate,
) -> AppResult<Inputs> {
    // Seven independent reads, side by side on their own pooled connections.
    let units = unit::Entity::find()
        .select_only()
        .columns([unit::Column::Id, unit::Column::ParentId, unit::Column::Name])
        .filter(unit::Column::TenantId.eq(tenant_id))
        .into_tuple::<(Uuid, Option<Uuid>, String)>()
        .all(db);
    let roles = role::Entity::find()
        .select_only()
        .columns([role::Column::Id, role::Column::Name])
        .filter(role::Column::TenantId.eq(tenant_id))
        .into_tuple::<(Uuid, String)>()
        .all(db);
    let staff = employee::Entity::find()
        .select_only()
        .columns([
            employee::Column::Id,
            employee::Column::UnitId,
            employee::Column::RoleId,
            employee::Column::EmploymentEndsOn,
        ])
        .filter(employee::Column::TenantId.eq(tenant_id))
        .into_tuple::<(Uuid, Uuid, Uuid, Option<NaiveDate>)>()
        .all(db);
    let rules = rollout_rule::Entity::find()
        .filter(rollout_rule::Column::TenantId.eq(tenant_id))
        .all(db);
    let profiles = device_profile::Entity::find()
        .filter(device_profile::Column::TenantId.eq(tenant_id))
        .all(db);
    let equipped = device::Entity::find()
        .select_only()
        .columns([device::Column::AssignedEmployeeId, device::Column::Kind])
        .filter(device::Column::TenantId.eq(tenant_id))
        .filter(device::Column::Ownership.eq(Ownership::Organization))
        .filter(device::Column::Status.eq(entities::vocab::DeviceStatus::Assigned))
        .filter(device::Column::AssignedEmployeeId.is_not_null())
        .into_tuple::<(Uuid, DeviceKind)>()
        .all(db);
    let stock = device::Entity::find()
        .select_only()
        .columns([device::Column::Kind, device::Column::UnitId])
        .filter(device::Column::TenantId.eq(tenant_id))
        .filter(device::Column::Ownership.eq(Ownership::Organization))
        .filter(device::Column::Status.eq(entities::vocab::DeviceStatus::InStock))
        .into_tuple::<(DeviceKind, Option<Uuid>)>()
        .all(db);
    let (units, roles, staff, rules, profiles, equipped, stock) =
        tokio::try_join!(units, roles, staff, rules, profiles, equipped, stock)?;
    let staff: Vec<Staff> = staff
        .into_iter()
        .filter(|(_, unit_id, _, ends)| scope.contains(*unit_id) && ends.is_none_or(|e| e >= today))
        .map(|(id, unit_id, role_id, _)| Staff {
            id,
            unit_id,
            role_id,
        })
        .collect();
    let rules = rules
        .into_iter()
        .map(|r| Rule {
            role_id: r.role_id,
            unit_id: r.unit_id,
            profile_id: r.profile_id,
            wave: r.wave,
        })
        .collect();
    let profiles = profiles
        .into_iter()
        .map(|p| {
            (
                p.id,
                Profile {
                    name: p.name,
                    kind: p.device_kind,
                    device_price: p.device_price_ore,
                    setup_cost: p.setup_cost_ore,
                    monthly_subscription: p.monthly_subscription_cost_ore,
                    monthly_support: p.monthly_support_cost_ore,
                    lifetime_months: i64::from(p.lifetime_months),
                },
            )
        })
        .collect();
    let equipped: HashSet<(Uuid, DeviceKind)> = equipped.into_iter().collect();
    let mut in_stock: HashMap<DeviceKind, u64> = HashMap::new();
    for (kind, unit_id) in stock {
        // A manager's plan draws only on the stock of their own units.
        if matches!(scope, UnitScope::Tenant) || unit_id.is_some_and(|u| scope.contains(u)) {
            *in_stock.entry(kind).or_default() += 1;
        }
    }
    Ok(Inputs {
        staff,
        parents: units.iter().map(|(id, parent, _)| (*id, *parent)).collect(),
        unit_names: units.into_iter().map(|(id, _, name)| (id, name)).collect(),
        role_names: roles.into_iter().collect(),
        rules,
        profiles,
        equipped,
        in_stock,
    })
}

/// What moving from plan `a` (waves up to a) to plan `b` adds, group by group.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Comparison {
    pub a: i32,
    pub b: i32,
    pub rows: Vec<ComparisonRow>,
    pub totals_a: RolloutTotals,
    pub totals_b: RolloutTotals,
    pub added: Added,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Added {
    pub headcount: i64,
    pub to_equip: i64,
    pub to_purchase: i64,
    pub introduction_cost: Money,
    pub annual_operating_cost: Money,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ComparisonRow {
    pub unit_id: Uuid,
    pub unit_name: String,
    pub role_id: Uuid,
    pub role_name: String,
    pub profile_id: Uuid,
    pub profile_name: String,
    pub in_a: bool,
    pub in_b: bool,
    pub added: Added,
}

impl Comparison {
    /// The comparison as a table for CSV and XLSX.
    pub fn table(&self) -> Table {
        use crate::reports::table::{Cell, Table};
        let comparison = self;
        Table {
            sheet: "Jämförelse",
            columns: names(&[
                "unit_name",
                "role_name",
                "profile_name",
                "in_a",
                "in_b",
                "added_headcount",
                "added_to_equip",
                "added_introduction_cost",
                "added_annual_operating_cost",
            ]),
            rows: comparison
                .rows
                .iter()
                .map(|r| {
                    vec![
                        Cell::Text(r.unit_name.clone()),
                        Cell::Text(r.role_name.clone()),
                        Cell::Text(r.profile_name.clone()),
                        Cell::Text(if r.in_a { "ja" } else { "nej" }.to_owned()),
                        Cell::Text(if r.in_b { "ja" } else { "nej" }.to_owned()),
                        Cell::Int(r.added.headcount),
                        Cell::Int(r.added.to_equip),
                        Cell::Money(Some(r.added.introduction_cost.ore())),
                        Cell::Money(Some(r.added.annual_operating_cost.ore())),
                    ]
                })
                .collect(),
        }
    }
}

pub fn compare(inputs: &Inputs, a: i32, b: i32) -> Comparison {
    let plan_a = compute(inputs, Some(a));
    let plan_b = compute(inputs, Some(b));
    let key = |r: &RolloutRow| (r.unit_id, r.role_id, r.profile_id);
    let in_a: HashMap<_, &RolloutRow> = plan_a.rows.iter().map(|r| (key(r), r)).collect();
    let in_b: HashMap<_, &RolloutRow> = plan_b.rows.iter().map(|r| (key(r), r)).collect();
    let mut keys: BTreeMap<(i32, String, String, Uuid, Uuid, Uuid), &RolloutRow> = BTreeMap::new();
    for row in plan_a.rows.iter().chain(&plan_b.rows) {
        keys.entry((
            row.wave,
            row.unit_name.clone(),
            row.role_name.clone(),
            row.unit_id,
            row.role_id,
            row.profile_id,
        ))
        .or_insert(row);
    }
    let figures = |r: Option<&&RolloutRow>| {
        r.map_or((0, 0, 0, 0), |r| {
            (
                r.headcount as i64,
                r.to_equip as i64,
                r.introduction_cost.ore(),
                r.annual_operating_cost.ore(),
            )
        })
    };
    let rows = keys
        .into_values()
        .map(|row| {
            let k = key(row);
            let (ha, ea, ia, oa) = figures(in_a.get(&k));
            let (hb, eb, ib, ob) = figures(in_b.get(&k));
            ComparisonRow {
                unit_id: row.unit_id,
                unit_name: row.unit_name.clone(),
                role_id: row.role_id,
                role_name: row.role_name.clone(),
                profile_id: row.profile_id,
                profile_name: row.profile_name.clone(),
                in_a: in_a.contains_key(&k),
                in_b: in_b.contains_key(&k),
                added: Added {
                    headcount: hb - ha,
                    to_equip: eb - ea,
                    to_purchase: 0,
                    introduction_cost: Money(ib - ia),
                    annual_operating_cost: Money(ob - oa),
                },
            }
        })
        .collect();
    let (ta, tb) = (&plan_a.totals, &plan_b.totals);
    Comparison {
        a,
        b,
        rows,
        added: Added {
            headcount: tb.headcount as i64 - ta.headcount as i64,
            to_equip: tb.to_equip as i64 - ta.to_equip as i64,
            to_purchase: tb.to_purchase as i64 - ta.to_purchase as i64,
            introduction_cost: Money(tb.introduction_cost.ore() - ta.introduction_cost.ore()),
            annual_operating_cost: Money(
                tb.annual_operating_cost.ore() - ta.annual_operating_cost.ore(),
            ),
        },
        totals_a: plan_a.totals,
        totals_b: plan_b.totals,
    }
}

impl RolloutReport {
    /// The rows, then a totals row.
    pub fn table(&self) -> Table {
        let mut rows: Vec<Vec<Cell>> = self
            .rows
            .iter()
            .map(|r| {
                vec![
                    Cell::Id(Some(r.unit_id)),
                    Cell::Text(r.unit_name.clone()),
                    Cell::Id(Some(r.role_id)),
                    Cell::Text(r.role_name.clone()),
                    Cell::Id(Some(r.profile_id)),
                    Cell::Text(r.profile_name.clone()),
                    Cell::Int(i64::from(r.wave)),
                    Cell::Int(r.headcount as i64),
                    Cell::Int(r.equipped as i64),
                    Cell::Int(r.to_equip as i64),
                    Cell::Money(Some(r.introduction_cost.ore())),
                    Cell::Money(Some(r.annual_operating_cost.ore())),
                ]
            })
            .collect();
        let t = &self.totals;
        rows.push(vec![
            Cell::Id(None),
            Cell::Text(format!(
                "Totalt (lager återanvänt: {}, att köpa: {})",
                t.stock_reused, t.to_purchase
            )),
            Cell::Id(None),
            Cell::Text(String::new()),
            Cell::Id(None),
            Cell::Text(String::new()),
            Cell::Text(String::new()),
            Cell::Int(t.headcount as i64),
            Cell::Text(String::new()),
            Cell::Int(t.to_equip as i64),
            Cell::Money(Some(t.introduction_cost.ore())),
            Cell::Money(Some(t.annual_operating_cost.ore())),
        ]);
        Table {
            sheet: "Utrullning",
            columns: names(&[
                "unit_id",
                "unit_name",
                "role_id",
                "role_name",
                "profile_id",
                "profile_name",
                "wave",
                "headcount",
                "equipped",
                "to_equip",
                "introduction_cost",
                "annual_operating_cost",
            ]),
            rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operating_cost_rounds_half_up_to_whole_ore() {
        // 3 x 4,995.00 x 12 / 36 = 4,995.00 exactly; 1 x 100.01 x 12 / 7 = 171.4457 -> 171.45.
        assert_eq!(div_round_half_up(3 * 499_500 * 12, 36), 499_500);
        assert_eq!(div_round_half_up(10_001 * 12, 7), 17_145);
        assert_eq!(div_round_half_up(5, 2), 3, "a half rounds up");
    }
}
