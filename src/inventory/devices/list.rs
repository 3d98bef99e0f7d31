//! Device list pages: the filters as one query, planned per store, and rows decoded
//! by position. The measured reasons for each choice are beside it (BENCHMARKS.md).
use chrono::{DateTime, NaiveDate, Utc};
use entities::{device, device_unit, employee};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait, sea_query::Expr,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{DeviceKind, Ownership};
use crate::inventory::{lifecycle::DeviceStatus, visibility::devices_linked_to};
use crate::{
    auth::UnitScope,
    auth::{Access, Caller, Resource},
    error::AppResult,
    filters::{grouped_digits, planned_for_pattern, searched_ids, text_matches},
    pagination::{
        Page, PageRequest, Planning, fetch_page_as,
        sorted::{SortBy, SortedRequest, fetch_sorted_page},
    },
};

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeviceFilter {
    pub status: Option<DeviceStatus>,
    pub kind: Option<DeviceKind>,
    pub ownership: Option<Ownership>,
    /// Devices linked to this unit or its subunits (responsible, assigned to the unit, or
    /// assigned to one of its employees).
    pub unit_id: Option<Uuid>,
    /// Devices assigned to this employee.
    pub employee_id: Option<Uuid>,
    /// Free text over serial number, IMEI, manufacturer and model.
    pub q: Option<String>,
}

/// A device list's filters: a condition, and the unit whose `device_units` rows drive
/// the query when one unit (with its subtree) is asked for.
#[derive(Clone, Debug)]
pub struct DeviceQuery {
    pub tenant_id: Uuid,
    pub cond: Condition,
    pub via_unit: Option<Uuid>,
    /// Whether free text is searched (see [`list_devices`]).
    pub searched: bool,
    /// [`Planning::Once`] when the query's best plan is the same for every value of its
    /// filters, so PostgreSQL may plan its pages once per connection. Not when a
    /// manager's scope or a search adds a subquery, when a unit is combined with filters
    /// on the devices themselves (which side to read first depends on the values), or
    /// for a status without a kind: the status index yields id order only with both,
    /// so a rare status is best read through it and sorted, a common one by walking
    /// the devices in id order.
    pub planning: Planning,
}

/// The devices of `filter` the caller may see, planned (shared by pages, CSV export
/// and bulk actions).
pub async fn list_query<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    filter: &DeviceFilter,
) -> AppResult<DeviceQuery> {
    caller.may(Resource::Devices, Access::Read)?;
    let scope = caller.unit_scope(db).await?;
    Ok(plan_query(
        caller.tenant_id,
        &scope,
        filter,
        caller.home_unit(),
    ))
}

/// The filters of a device list. `home_unit` is the caller's one managed unit, if it
/// has exactly one: its lists are driven by it.
pub fn plan_query(
    tenant_id: Uuid,
    scope: &UnitScope,
    filter: &DeviceFilter,
    home_unit: Option<Uuid>,
) -> DeviceQuery {
    let mut cond = Condition::all().add(device::Column::TenantId.eq(tenant_id));
    let via_unit = filter.unit_id.or(home_unit);
    let mut scoped = false;
    if let UnitScope::Units(units) = scope {
        // Everything linked below a unit in scope is in scope; otherwise check.
        if !via_unit.is_some_and(|u| units.contains(&u)) {
            cond = cond.add(devices_linked_to(tenant_id, units));
            scoped = true;
        }
    }
    let on_columns = filter.status.is_some()
        || filter.kind.is_some()
        || filter.ownership.is_some()
        || filter.employee_id.is_some();
    let status_unordered = filter.status.is_some() && filter.kind.is_none();
    if let Some(status) = filter.status {
        cond = cond.add(device::Column::Status.eq(status));
    }
    if let Some(kind) = filter.kind {
        cond = cond.add(device::Column::Kind.eq(kind));
    }
    if let Some(ownership) = filter.ownership {
        cond = cond.add(device::Column::Ownership.eq(ownership));
    }
    if let Some(employee_id) = filter.employee_id {
        cond = cond.add(device::Column::AssignedEmployeeId.eq(employee_id));
    }
    let q = filter.q.as_deref().filter(|q| !q.trim().is_empty());
    if let Some(q) = q {
        // Serial number, IMEI (however it was typed), manufacturer or model (migration
        // 000008), or the name of the person holding it.
        let text = grouped_digits(q);
        let text = text.as_deref().unwrap_or(q);
        let holders = sea_orm::sea_query::Query::select()
            .column(employee::Column::Id)
            .from(employee::Entity)
            .and_where(employee::Column::TenantId.eq(tenant_id))
            // lower(name) LIKE: the form both stores answer alike.
            .cond_where(text_matches(
                sea_orm::DbBackend::Postgres,
                &[employee::Column::Name],
                q,
            ))
            .to_owned();
        let held = sea_orm::sea_query::Query::select()
            .column(device::Column::Id)
            .from(device::Entity)
            .and_where(device::Column::TenantId.eq(tenant_id))
            .and_where(device::Column::AssignedEmployeeId.in_subquery(holders))
            .to_owned();
        // One list of ids from two indexed lookups: as `a IN (…) OR b IN (…)` PostgreSQL
        // gave up the trigram index and a search took 50 ms instead of 4 (BENCHMARKS.md).
        let mut found = searched_ids(
            device::Entity,
            device::Column::Id,
            device::Column::TenantId.eq(tenant_id),
            text,
            None,
        );
        found.union(sea_orm::sea_query::UnionType::Distinct, held);
        cond = cond.add(device::Column::Id.in_subquery(found));
    }
    let plan_depends_on_values =
        scoped || q.is_some() || status_unordered || (via_unit.is_some() && on_columns);
    DeviceQuery {
        tenant_id,
        cond,
        via_unit,
        searched: q.is_some(),
        planning: if plan_depends_on_values {
            Planning::EachRun
        } else {
            Planning::Once
        },
    }
}

/// The devices a list's query matches, as one select (a unit's through `device_units`).
pub(super) fn select_of(query: DeviceQuery) -> sea_orm::Select<device::Entity> {
    let select = device::Entity::find().filter(query.cond);
    match query.via_unit {
        // Walk the unit's `device_units` range in device order: a page reads ~51 rows
        // however large the unit's subtree is. The range is read from the primary-key
        // index alone; the tenant is checked on the devices themselves (`query.cond`),
        // as a filter on `device_units.tenant_id` would cost a table visit per row.
        Some(unit_id) => select
            .join(
                JoinType::InnerJoin,
                device_unit::Relation::Device.def().rev(),
            )
            .filter(device_unit::Column::UnitId.eq(unit_id)),
        None => select,
    }
}

pub async fn list_devices(
    db: &sea_orm::DatabaseConnection,
    query: DeviceQuery,
    page: PageRequest,
) -> AppResult<Page<device::Model>> {
    if let Some(txn) = planned_for_pattern(db, query.searched).await? {
        let page = page_of(&txn, query, page).await?;
        txn.commit().await?;
        return Ok(page);
    }
    page_of(db, query, page).await
}

/// A page of the list's devices in `sort`'s order (a column the console sorts by).
pub async fn list_devices_sorted(
    db: &sea_orm::DatabaseConnection,
    query: DeviceQuery,
    sort: &SortBy<device::Column>,
    page: &SortedRequest,
) -> AppResult<Page<device::Model>> {
    let searched = query.searched;
    let select = select_of(query);
    let id = device::Column::Id;
    if let Some(txn) = planned_for_pattern(db, searched).await? {
        let page = fetch_sorted_page(&txn, select, sort, id, page).await?;
        txn.commit().await?;
        return Ok(page);
    }
    fetch_sorted_page(db, select, sort, id, page).await
}

/// How many devices the list's query matches (the list's total).
pub async fn count_devices(db: &sea_orm::DatabaseConnection, query: DeviceQuery) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    let searched = query.searched;
    let select = select_of(query);
    if let Some(txn) = planned_for_pattern(db, searched).await? {
        let n = select.count(&txn).await?;
        txn.commit().await?;
        return Ok(n);
    }
    Ok(select.count(db).await?)
}

async fn page_of<C: ConnectionTrait>(
    db: &C,
    query: DeviceQuery,
    page: PageRequest,
) -> AppResult<Page<device::Model>> {
    let plan = query.planning;
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    // Ordered by the column the page walks: a unit's `device_units` range, or devices.
    let page = match query.via_unit {
        Some(unit_id) if plan == Planning::Once && postgres => {
            unit_range_page(db, query, unit_id, page).await?
        }
        Some(_) => {
            let by = device_unit::Column::DeviceId;
            fetch_page_as(db, select_of(query), by, DeviceRow::id, page, plan).await?
        }
        None => {
            let by = device::Column::Id;
            fetch_page_as(db, select_of(query), by, DeviceRow::id, page, plan).await?
        }
    };
    Ok(page.map(|row| row.0))
}

/// A page of one unit's devices (subtree included) and no other filter, on PostgreSQL:
/// the page's ids first, from the unit's `device_units` range, then those devices. The
/// join's generic plan merges the unit's range with every device in id order (2.3 ms
/// instead of 0.3 ms for a unit of 1,000), so the join is planned for every run; this
/// has one best plan whatever the unit, and with the page size written into the SQL it
/// is planned once per connection ([`Planning::Once`]). As an array the ids are walked through the primary
/// key in order; an `IN` list would be hashed and the rows sorted (a fifth slower).
/// SQLite keeps the join, which it always runs as this loop.
///
/// A unit's `device_units` rows are its own tenant's devices; the query's condition (the
/// tenant, as nothing else is filtered) is applied to the devices all the same.
async fn unit_range_page<C: ConnectionTrait>(
    db: &C,
    query: DeviceQuery,
    unit_id: Uuid,
    page: PageRequest,
) -> AppResult<Page<DeviceRow>> {
    let (after, values) = match page.after {
        Some(after) => (r#" AND "device_id" > $2"#, vec![unit_id, after]),
        None => ("", vec![unit_id]),
    };
    let among_page_ids = Expr::cust_with_values(
        format!(
            r#""devices"."id" = ANY(ARRAY(SELECT "device_id" FROM "device_units" WHERE "unit_id" = $1{after} ORDER BY "device_id" LIMIT {rows}))"#,
            rows = page.rows_to_fetch(),
        ),
        values,
    );
    let rows = device::Entity::find()
        .filter(query.cond)
        .filter(among_page_ids)
        .order_by_asc(device::Column::Id)
        .into_model::<DeviceRow>()
        .all(db)
        .await?;
    Ok(Page::of_fetched(rows, page, DeviceRow::id))
}

/// A device decoded by the position of its columns, straight from the driver's row.
/// A list page decodes a thousand values. SeaORM reads each by name (a map lookup),
/// checks its type against the column's, and for each empty one writes the column's
/// name into an error it then throws away: that was a fifth of a page's CPU
/// (BENCHMARKS.md). The positions are the entity's column order, which
/// `Entity::find()` selects, and the types are the migrations'; a test holds this
/// decoding equal to SeaORM's.
struct DeviceRow(device::Model);

impl DeviceRow {
    fn id(&self) -> Uuid {
        self.0.id
    }
}

impl sea_orm::FromQueryResult for DeviceRow {
    fn from_query_result(row: &sea_orm::QueryResult, pre: &str) -> Result<Self, sea_orm::DbErr> {
        debug_assert!(pre.is_empty(), "a device row is never nested");
        let decoded = if let Some(row) = row.try_as_pg_row() {
            decode_device(row)
        } else if let Some(row) = row.try_as_sqlite_row() {
            decode_device(row)
        } else {
            return device::Model::from_query_result(row, pre).map(DeviceRow);
        };
        decoded
            .map(DeviceRow)
            .map_err(|error| sea_orm::DbErr::Type(format!("a device row: {error}")))
    }
}

/// A stored vocabulary word as its enum; a word this build does not know is an error.
fn vocabulary<E: sea_orm::ActiveEnum<Value = String>>(
    stored: String,
) -> Result<E, sea_orm::sqlx::Error> {
    E::try_from_value(&stored)
        .map_err(|error| sea_orm::sqlx::Error::Decode(error.to_string().into()))
}

fn decode_device<'r, R>(row: &'r R) -> Result<device::Model, sea_orm::sqlx::Error>
where
    R: sea_orm::sqlx::Row,
    usize: sea_orm::sqlx::ColumnIndex<R>,
    Uuid: sea_orm::sqlx::Decode<'r, R::Database>,
    String: sea_orm::sqlx::Decode<'r, R::Database>,
    i64: sea_orm::sqlx::Decode<'r, R::Database>,
    NaiveDate: sea_orm::sqlx::Decode<'r, R::Database>,
    DateTime<Utc>: sea_orm::sqlx::Decode<'r, R::Database>,
{
    Ok(device::Model {
        id: row.try_get_unchecked(0)?,
        tenant_id: row.try_get_unchecked(1)?,
        kind: vocabulary(row.try_get_unchecked(2)?)?,
        manufacturer: row.try_get_unchecked(3)?,
        model: row.try_get_unchecked(4)?,
        serial_number: row.try_get_unchecked(5)?,
        imei: row.try_get_unchecked(6)?,
        ownership: vocabulary(row.try_get_unchecked(7)?)?,
        status: vocabulary(row.try_get_unchecked(8)?)?,
        unit_id: row.try_get_unchecked(9)?,
        assigned_employee_id: row.try_get_unchecked(10)?,
        assigned_unit_id: row.try_get_unchecked(11)?,
        purchase_price_ore: row.try_get_unchecked(12)?,
        purchased_on: row.try_get_unchecked(13)?,
        warranty_ends_on: row.try_get_unchecked(14)?,
        retired_reason: row
            .try_get_unchecked::<Option<String>, _>(15)?
            .map(vocabulary)
            .transpose()?,
        contract_id: row.try_get_unchecked(16)?,
        repair_reason: row.try_get_unchecked(17)?,
        repair_vendor: row.try_get_unchecked(18)?,
        repair_ticket: row.try_get_unchecked(19)?,
        created_at: row.try_get_unchecked(20)?,
        updated_at: row.try_get_unchecked(21)?,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, Utc};
    use entities::device;
    use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel};
    use uuid::Uuid;

    use super::DeviceRow;

    fn device_with(every_field: bool) -> device::Model {
        let now = Utc::now();
        device::Model {
            id: Uuid::now_v7(),
            tenant_id: Uuid::now_v7(),
            kind: entities::vocab::DeviceKind::Phone,
            manufacturer: "Apple".to_owned(),
            model: "iPhone 15".to_owned(),
            serial_number: format!("SN-{}", Uuid::now_v7()),
            imei: every_field.then_some("356938035643809".to_owned()),
            ownership: entities::vocab::Ownership::Organization,
            status: entities::vocab::DeviceStatus::Assigned,
            unit_id: every_field.then_some(Uuid::now_v7()),
            assigned_employee_id: every_field.then_some(Uuid::now_v7()),
            assigned_unit_id: every_field.then_some(Uuid::now_v7()),
            purchase_price_ore: every_field.then_some(499_500),
            purchased_on: every_field.then_some(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()),
            warranty_ends_on: every_field.then_some(NaiveDate::from_ymd_opt(2028, 10, 31).unwrap()),
            retired_reason: every_field.then_some(entities::vocab::RetireReason::Broken),
            contract_id: every_field.then_some(Uuid::now_v7()),
            repair_reason: every_field.then_some("Spricka".to_owned()),
            repair_vendor: every_field.then_some("Atea".to_owned()),
            repair_ticket: every_field.then_some("RMA-1".to_owned()),
            created_at: now,
            updated_at: now + chrono::Duration::milliseconds(1500),
        }
    }

    #[tokio::test]
    async fn a_device_decoded_by_position_equals_one_decoded_by_name() {
        let db = crate::db::connect("sqlite::memory:", 1).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        // The rows point at units, people and agreements that do not exist: only their
        // decoding is under test.
        db.execute_unprepared("PRAGMA foreign_keys = OFF")
            .await
            .unwrap();
        let full = device_with(true);
        let empty = device_with(false);
        for model in [&full, &empty] {
            model
                .clone()
                .into_active_model()
                .reset_all()
                .insert(&db)
                .await
                .unwrap();
        }
        let by_name = device::Entity::find().all(&db).await.unwrap();
        let by_position: Vec<device::Model> = device::Entity::find()
            .into_model::<DeviceRow>()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.0)
            .collect();
        assert_eq!(by_position, by_name);
        assert!(by_position.contains(&full) && by_position.contains(&empty));
    }

    #[test]
    fn only_queries_with_one_best_plan_are_planned_once() {
        use super::{DeviceFilter, DeviceKind, DeviceStatus, plan_query};
        use crate::{auth::UnitScope, pagination::Planning};

        let tenant = Uuid::now_v7();
        let unit = Uuid::now_v7();
        let other_unit = Uuid::now_v7();
        let manager_of = |units: &[Uuid]| UnitScope::Units(units.iter().copied().collect());
        let fixed = |scope: &UnitScope, filter: DeviceFilter, home: Option<Uuid>| {
            plan_query(tenant, scope, &filter, home).planning == Planning::Once
        };
        let unit_only = || DeviceFilter {
            unit_id: Some(unit),
            ..DeviceFilter::default()
        };
        let by_status = || DeviceFilter {
            status: Some(DeviceStatus::InStock),
            kind: Some(DeviceKind::Phone),
            ..DeviceFilter::default()
        };
        // Column filters alone, or a unit alone, plan the same for every value.
        assert!(fixed(&UnitScope::Tenant, DeviceFilter::default(), None));
        assert!(fixed(&UnitScope::Tenant, by_status(), None));
        assert!(fixed(&UnitScope::Tenant, unit_only(), None));
        assert!(fixed(&manager_of(&[unit]), unit_only(), None));
        assert!(fixed(
            &manager_of(&[unit]),
            DeviceFilter::default(),
            Some(unit)
        ));
        // A unit with column filters: which side to read first depends on the values.
        let unit_and_status = DeviceFilter {
            unit_id: Some(unit),
            ..by_status()
        };
        assert!(!fixed(&UnitScope::Tenant, unit_and_status, None));
        // A status without a kind: a rare one is best read through its index, a common
        // one by walking the devices in id order.
        let status_alone = DeviceFilter {
            status: Some(DeviceStatus::InRepair),
            ..DeviceFilter::default()
        };
        assert!(!fixed(&UnitScope::Tenant, status_alone, None));
        let kind_alone = DeviceFilter {
            kind: Some(DeviceKind::Tablet),
            ..DeviceFilter::default()
        };
        assert!(fixed(&UnitScope::Tenant, kind_alone, None));
        assert!(!fixed(&manager_of(&[unit]), by_status(), Some(unit)));
        // A manager's scope or a search adds a subquery planned for its values.
        let two_units = manager_of(&[unit, other_unit]);
        assert!(!fixed(&two_units, DeviceFilter::default(), None));
        assert!(!fixed(&manager_of(&[unit]), DeviceFilter::default(), None));
        let searched = DeviceFilter {
            q: Some("iphone".to_owned()),
            ..DeviceFilter::default()
        };
        assert!(!fixed(&UnitScope::Tenant, searched, None));
    }
}
