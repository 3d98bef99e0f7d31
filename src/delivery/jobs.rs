//! From claimed rows to pushes: what each row's notice and registration say, the rows
//! that end without a push (cancelled, expired, acknowledged, phone gone), and the rest
//! grouped into one push per phone and planned moment — a single notice, or a digest.
use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::Arc,
};

use chrono::{DateTime, Utc};
use entities::{notice, notice_recipient, push_app, push_registration};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::{
    claim::Claimed,
    outbox::DeliveryStatus,
    record::{Settle, final_status, stopped},
    stops::Stop,
};
use crate::{
    error::AppResult,
    notices::{inbox::unread_counts, limits::MAX_BODY_CHARS},
    push::{
        Provider, Providers, Push, PushOutcome, PushPlatform, PushProvider, health::CredentialSet,
        token_format::platform_of,
    },
    reachability::Priority,
};

/// What a notice contributes to its pushes.
pub(super) struct NoticeFacts {
    title: String,
    body: String,
    priority: Priority,
    cancelled: bool,
    repeat_until_ack: bool,
}

/// Rows that become one push: same phone, same planned moment; a repeat (its own row
/// id) always alone.
type PushKey = (Uuid, Option<DateTime<Utc>>, Option<Uuid>);

/// One push to make: a single delivery, or several (a digest) to one phone.
pub struct Job {
    pub rows: Vec<Claimed>,
    /// Who sends it, or, when no one can, the outcome to record instead.
    pub provider: Result<Arc<dyn Provider>, PushOutcome>,
    /// The credentials it goes out with, whose health decides whether it may.
    pub credentials: CredentialSet,
    pub push: Push,
    /// The job's notices that are urgent call-ins, pushed again until acknowledged.
    pub repeating: HashSet<Uuid>,
}

impl Job {
    /// The queue order of its lead row: urgent first, then `queue_at`.
    pub fn rank(&self) -> (bool, Option<DateTime<Utc>>) {
        let lead = &self.rows[0];
        (lead.urgent, lead.queue_at)
    }
}

/// Loads what the claimed rows need, ends the ones with nothing to push, and groups the
/// rest into jobs.
pub async fn prepare(
    db: &DatabaseConnection,
    providers: &Providers,
    claimed: Vec<Claimed>,
    now: DateTime<Utc>,
) -> AppResult<(Vec<Job>, Vec<(Claimed, Settle)>)> {
    let notice_ids: HashSet<Uuid> = claimed.iter().map(|c| c.notice_id).collect();
    let notices: HashMap<Uuid, NoticeFacts> = notice::Entity::find()
        .filter(notice::Column::Id.is_in(notice_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|n| {
            (
                n.id,
                NoticeFacts {
                    priority: n.priority,
                    cancelled: n.cancelled_at.is_some(),
                    repeat_until_ack: n.repeat_until_ack,
                    title: n.title,
                    body: n.body,
                },
            )
        })
        .collect();
    let registration_ids: HashSet<Uuid> = claimed.iter().map(|c| c.registration_id).collect();
    let registrations: HashMap<Uuid, push_registration::Model> = push_registration::Entity::find()
        .filter(push_registration::Column::Id.is_in(registration_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let acked = acknowledged(db, &claimed).await?;
    let apps = tenant_apps(db, registrations.values()).await?;

    let mut settled = Vec::new();
    // Rows to one phone that fell due at the same planned moment make one push.
    let mut groups: BTreeMap<PushKey, Vec<Claimed>> = BTreeMap::new();
    for row in claimed {
        let (Some(n), Some(reg)) = (
            notices.get(&row.notice_id),
            registrations.get(&row.registration_id),
        ) else {
            settled.push((
                row,
                final_status(DeliveryStatus::Failed, "notice or registration is gone"),
            ));
            continue;
        };
        let end = if n.cancelled {
            Some(stopped(&row, Stop::Cancelled))
        } else if reg.disabled_at.is_some() {
            Some(final_status(
                DeliveryStatus::Failed,
                "registration disabled",
            ))
        } else if row.push_expires_at.is_some_and(|e| e <= now) {
            Some(final_status(
                DeliveryStatus::Expired,
                "expired before it could be pushed",
            ))
        } else if acked.contains(&(row.notice_id, row.employee_id)) {
            Some(stopped(&row, Stop::Acked))
        } else {
            None
        };
        if let Some(end) = end {
            settled.push((row, end));
            continue;
        }
        // Repeats go alone: a digest is for notices held for the same moment.
        let single = (row.pushes > 0).then_some(row.id);
        groups
            .entry((row.registration_id, row.deliver_at, single))
            .or_default()
            .push(row);
    }
    // The badge of the phones that show one: what each person has not read yet.
    let badged: Vec<Uuid> = groups
        .values()
        .map(|rows| &registrations[&rows[0].registration_id])
        .filter(|reg| platform_of(reg.provider, reg.platform) == Some(PushPlatform::Ios))
        .map(|reg| reg.employee_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let unread = if badged.is_empty() {
        HashMap::new()
    } else {
        unread_counts(db, &badged, now).await?
    };
    let mut jobs = Vec::with_capacity(groups.len());
    for rows in groups.into_values() {
        let reg = &registrations[&rows[0].registration_id];
        let app = reg
            .app_id
            .as_ref()
            .and_then(|app_id| apps.get(&(reg.tenant_id, app_id.clone())));
        let (provider, credentials) = provider_for(providers, reg.provider, app).await;
        jobs.push(Job {
            provider,
            credentials,
            push: compose(
                &rows,
                &notices,
                reg,
                unread.get(&reg.employee_id).copied().unwrap_or(0),
                now,
            ),
            repeating: rows
                .iter()
                .map(|r| r.notice_id)
                .filter(|id| {
                    let n = &notices[id];
                    n.repeat_until_ack && n.priority == Priority::Urgent
                })
                .collect(),
            rows,
        });
    }
    Ok((jobs, settled))
}

/// The tenants' own apps the registrations name, by (tenant, app id).
async fn tenant_apps(
    db: &DatabaseConnection,
    registrations: impl Iterator<Item = &push_registration::Model>,
) -> AppResult<HashMap<(Uuid, String), push_app::Model>> {
    let named: HashSet<(Uuid, String)> = registrations
        .filter_map(|r| r.app_id.clone().map(|app_id| (r.tenant_id, app_id)))
        .collect();
    if named.is_empty() {
        return Ok(HashMap::new());
    }
    let tenants: HashSet<Uuid> = named.iter().map(|(t, _)| *t).collect();
    let app_ids: HashSet<String> = named.iter().map(|(_, a)| a.clone()).collect();
    Ok(push_app::Entity::find()
        .filter(push_app::Column::TenantId.is_in(tenants))
        .filter(push_app::Column::AppId.is_in(app_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| ((a.tenant_id, a.app_id.clone()), a))
        .filter(|(key, _)| named.contains(key))
        .collect())
}

/// Who pushes to a registration, and with which credentials: its tenant's own app when
/// it names one with a side for this provider, else the service's.
async fn provider_for(
    providers: &Providers,
    provider: PushProvider,
    app: Option<&push_app::Model>,
) -> (Result<Arc<dyn Provider>, PushOutcome>, CredentialSet) {
    if let (Some(app), Some(clients)) = (app, &providers.apps) {
        let own = CredentialSet {
            provider,
            app: Some((app.tenant_id, app.app_id.clone())),
        };
        match clients.provider(app, provider).await {
            Ok(Some(client)) => return (Ok(client), own),
            Err(unusable) => return (Err(unusable), own),
            Ok(None) => {}
        }
    }
    let found = providers
        .get(provider)
        .cloned()
        .ok_or_else(|| PushOutcome::Failed {
            error: format!("provider {provider} is not configured on this server"),
        });
    (found, CredentialSet::service(provider))
}

/// Those of `notices` that were cancelled.
pub(super) async fn cancelled(
    db: &DatabaseConnection,
    notices: HashSet<Uuid>,
) -> AppResult<Vec<Uuid>> {
    Ok(notice::Entity::find()
        .select_only()
        .column(notice::Column::Id)
        .filter(notice::Column::Id.is_in(notices))
        .filter(notice::Column::CancelledAt.is_not_null())
        .into_tuple()
        .all(db)
        .await?)
}

/// The (notice, employee) pairs among the claimed rows that were acknowledged: one
/// query a notice, on the inbox's primary key (notice, person), so that the cost is
/// the claim's size, not the size of the notice or of everyone's history.
pub(super) async fn acknowledged(
    db: &DatabaseConnection,
    claimed: &[Claimed],
) -> AppResult<HashSet<(Uuid, Uuid)>> {
    let mut by_notice: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    for c in claimed {
        by_notice
            .entry(c.notice_id)
            .or_default()
            .insert(c.employee_id);
    }
    let mut acked = HashSet::new();
    for (notice_id, people) in by_notice {
        let people: Vec<Uuid> = people.into_iter().collect();
        for chunk in people.chunks(1_000) {
            let rows: Vec<Uuid> = notice_recipient::Entity::find()
                .select_only()
                .column(notice_recipient::Column::EmployeeId)
                .filter(notice_recipient::Column::NoticeId.eq(notice_id))
                .filter(notice_recipient::Column::EmployeeId.is_in(chunk.iter().copied()))
                .filter(notice_recipient::Column::AckedAt.is_not_null())
                .into_tuple()
                .all(db)
                .await?;
            acked.extend(rows.into_iter().map(|employee_id| (notice_id, employee_id)));
        }
    }
    Ok(acked)
}

/// The push for a group of rows to one phone: the notice itself, or a digest ("3 new
/// notices") led by the important ones, badged with how many it holds.
fn compose(
    rows: &[Claimed],
    notices: &HashMap<Uuid, NoticeFacts>,
    reg: &push_registration::Model,
    unread: u32,
    now: DateTime<Utc>,
) -> Push {
    let token = reg.token.clone();
    let platform = platform_of(reg.provider, reg.platform);
    let count = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    // The pushed notices are unread too, whether or not they counted as available yet.
    let unread = unread.max(count);
    // The soonest expiry among them: a digest must not outlive any of its notices.
    let expires_at = rows.iter().filter_map(|r| r.push_expires_at).min();
    let mut items: Vec<(&Claimed, &NoticeFacts)> =
        rows.iter().map(|r| (r, &notices[&r.notice_id])).collect();
    items.sort_by(|a, b| {
        b.1.priority_rank()
            .cmp(&a.1.priority_rank())
            .then(b.0.notice_id.cmp(&a.0.notice_id))
    });
    let (lead_row, lead) = items[0];
    let priority = lead.priority;
    if items.len() == 1 {
        return Push {
            token,
            title: lead.title.clone(),
            body: lead.body.clone(),
            notice_id: lead_row.notice_id,
            count: 1,
            unread,
            platform,
            priority,
            expires_at,
            collapse_key: lead_row.notice_id.to_string(),
            now,
        };
    }
    let mut body = items
        .iter()
        .map(|(_, n)| n.title.as_str())
        .collect::<Vec<_>>()
        .join(" · ");
    if body.chars().count() > MAX_BODY_CHARS {
        body = body.chars().take(MAX_BODY_CHARS - 1).collect::<String>() + "…";
    }
    let newest = items
        .iter()
        .map(|(r, _)| r.notice_id)
        .max()
        .unwrap_or(lead_row.notice_id);
    Push {
        token,
        title: format!("{} new notices", items.len()),
        body,
        notice_id: newest,
        count,
        unread,
        platform,
        priority,
        expires_at,
        collapse_key: format!("digest-{newest}"),
        now,
    }
}

impl NoticeFacts {
    fn priority_rank(&self) -> u8 {
        match self.priority {
            Priority::Info => 0,
            Priority::Important => 1,
            Priority::Urgent => 2,
        }
    }
}
