//! How often staff were contacted outside their working time, by whom and why: the
//! evidence that the quiet-hours promise is kept. Counts only — never who read what.
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use entities::{notice, notice_recipient};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::table::{Cell, Table, names};
use crate::{
    auth::{Access, Caller, Resource},
    error::AppResult,
    notices::plan::Outcome,
    reachability::{Priority, Reason, previous_window_end},
    schedules::book::ScheduleBook,
};

/// The daily rest of the regions' collective agreement.
pub const DAILY_REST_HOURS: i64 = 11;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Counts {
    /// Notices with at least one recipient counted here.
    pub notices: u64,
    /// Recipients whose notice waited for their working time.
    pub held_deliveries: u64,
    /// Urgent notices to people on call: expected contacts.
    pub urgent_on_call: u64,
    /// Urgent notices outside any working window or on-call shift.
    pub urgent_after_hours: u64,
    /// Of those, the ones within 11 hours of the end of the person's last working window.
    pub urgent_in_daily_rest: u64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SenderRow {
    /// The name of the token that sent.
    pub sender: String,
    #[serde(flatten)]
    pub counts: Counts,
    /// The reasons given for their urgent notices.
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UnitRow {
    pub unit_id: Uuid,
    pub unit_name: String,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AfterHours {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub by_sender: Vec<SenderRow>,
    pub by_unit: Vec<UnitRow>,
    pub totals: Counts,
}

/// One recipient's delivery as the report counts it: flags, one per question asked.
#[allow(clippy::struct_excessive_bools)]
struct Seen {
    notice: Uuid,
    unit: Uuid,
    held: bool,
    on_call: bool,
    after_hours: bool,
    in_rest: bool,
}

fn add(counts: &mut Counts, seen: &Seen, notices: &mut BTreeSet<Uuid>) {
    if notices.insert(seen.notice) {
        counts.notices += 1;
    }
    counts.held_deliveries += u64::from(seen.held);
    counts.urgent_on_call += u64::from(seen.on_call);
    counts.urgent_after_hours += u64::from(seen.after_hours);
    counts.urgent_in_daily_rest += u64::from(seen.in_rest);
}

/// Notices sent in `[from, to)`, counted by sender and by the recipients' units; a
/// manager sees the recipients in their units only.
pub async fn after_hours<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<AfterHours> {
    caller.may(Resource::Reports, Access::Read)?;
    let tenant_id = caller.tenant_id;
    let scope = &caller.unit_scope(db).await?;
    let notices: HashMap<Uuid, notice::Model> = notice::Entity::find()
        .filter(notice::Column::TenantId.eq(tenant_id))
        .filter(notice::Column::SendAt.gte(from))
        .filter(notice::Column::SendAt.lt(to))
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.id, n))
        .collect();
    let units = super::follow_up::unit_names(db, tenant_id).await?;
    let homes = crate::org::employees::home_units(db, tenant_id).await?;
    let ids: Vec<Uuid> = notices.keys().copied().collect();
    let mut recipients = Vec::new();
    for chunk in ids.chunks(500) {
        recipients.extend(
            notice_recipient::Entity::find()
                .select_only()
                .columns([
                    notice_recipient::Column::NoticeId,
                    notice_recipient::Column::EmployeeId,
                    notice_recipient::Column::Reason,
                    notice_recipient::Column::Outcome,
                ])
                .filter(notice_recipient::Column::NoticeId.is_in(chunk.iter().copied()))
                .into_tuple::<(Uuid, Uuid, Reason, Outcome)>()
                .all(db)
                .await?,
        );
    }
    recipients.retain(|(_, e, _, _)| homes.get(e).is_some_and(|u| scope.contains(*u)));

    // Who was reached after hours, per notice, to look up where their rest began.
    let mut after: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    for (n, e, reason, _) in &recipients {
        if reason.is_after_hours() {
            after.entry(*n).or_default().push(*e);
        }
    }
    let mut in_rest: BTreeSet<(Uuid, Uuid)> = BTreeSet::new();
    for (n, people) in &after {
        let at = notices[n].send_at;
        let book = ScheduleBook::load(db, tenant_id, people, at - Duration::days(3)).await?;
        for e in people {
            if let Some(schedule) = book.schedule(*e)
                && previous_window_end(&schedule, at)
                    .is_some_and(|end| at - end < Duration::hours(DAILY_REST_HOURS))
            {
                in_rest.insert((*n, *e));
            }
        }
    }

    let mut senders: BTreeMap<String, (Counts, BTreeSet<Uuid>, BTreeSet<String>)> = BTreeMap::new();
    let mut by_unit: BTreeMap<Uuid, (Counts, BTreeSet<Uuid>)> = BTreeMap::new();
    let mut totals = (Counts::default(), BTreeSet::new());
    for (n, e, reason, outcome) in &recipients {
        let notice = &notices[n];
        let urgent = notice.priority == Priority::Urgent;
        let seen = Seen {
            notice: *n,
            unit: homes[e],
            held: *outcome == Outcome::Held,
            on_call: urgent && *reason == Reason::OnCall,
            after_hours: reason.is_after_hours(),
            in_rest: in_rest.contains(&(*n, *e)),
        };
        let sender = senders.entry(notice.sender_name.clone()).or_default();
        add(&mut sender.0, &seen, &mut sender.1);
        if let Some(why) = notice.urgent_reason.as_ref().filter(|_| urgent) {
            sender.2.insert(why.clone());
        }
        let unit = by_unit.entry(seen.unit).or_default();
        add(&mut unit.0, &seen, &mut unit.1);
        add(&mut totals.0, &seen, &mut totals.1);
    }
    let mut by_unit: Vec<UnitRow> = by_unit
        .into_iter()
        .map(|(unit_id, (counts, _))| UnitRow {
            unit_id,
            unit_name: units.get(&unit_id).cloned().unwrap_or_default(),
            counts,
        })
        .collect();
    by_unit.sort_by(|a, b| (&a.unit_name, a.unit_id).cmp(&(&b.unit_name, b.unit_id)));
    Ok(AfterHours {
        from,
        to,
        by_sender: senders
            .into_iter()
            .map(|(sender, (counts, _, reasons))| SenderRow {
                sender,
                counts,
                reasons: reasons.into_iter().collect(),
            })
            .collect(),
        by_unit,
        totals: totals.0,
    })
}

fn count_cells(c: &Counts) -> [Cell; 5] {
    [
        Cell::Int(c.notices as i64),
        Cell::Int(c.held_deliveries as i64),
        Cell::Int(c.urgent_on_call as i64),
        Cell::Int(c.urgent_after_hours as i64),
        Cell::Int(c.urgent_in_daily_rest as i64),
    ]
}

impl AfterHours {
    /// One sheet: sender rows, then unit rows, told apart by the first column.
    pub fn table(&self) -> Table {
        let mut rows = Vec::new();
        for r in &self.by_sender {
            let mut row = vec![
                Cell::Text("avsändare".to_owned()),
                Cell::Text(r.sender.clone()),
            ];
            row.extend(count_cells(&r.counts));
            row.push(Cell::Text(r.reasons.join(" | ")));
            rows.push(row);
        }
        for r in &self.by_unit {
            let mut row = vec![
                Cell::Text("enhet".to_owned()),
                Cell::Text(r.unit_name.clone()),
            ];
            row.extend(count_cells(&r.counts));
            row.push(Cell::Text(String::new()));
            rows.push(row);
        }
        Table {
            sheet: "Kontakt utanför arbetstid",
            columns: names(&[
                "per",
                "name",
                "notices",
                "held_deliveries",
                "urgent_on_call",
                "urgent_after_hours",
                "urgent_in_daily_rest",
                "reasons",
            ]),
            rows,
        }
    }
}
