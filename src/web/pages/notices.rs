//! Notices in the console: compose (message, audience, priority, schedule and expiry),
//! a preview per unit and per person before sending, sending, the sent list with
//! progress, and cancelling. Planning, checks and writing are the domain's.
use std::collections::BTreeMap;

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::Form;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Chrome,
    list::{by_name, parse_enum, unit_options},
    render,
};
use crate::{
    app::AppState,
    auth::{Access, Resource},
    error::AppError,
    notices::{
        create::{self, IdempotencyKey},
        input::{Audience, NoticeInput},
        plan::Summary,
        read::{self, Shown, Standing},
        templates,
        view::NoticeView,
    },
    org::{employees, roles::role_names, units::unit_names},
    pagination::PageParams,
    reachability::Priority,
    schedules::DEFAULT_ZONE,
    web::{
        format::{clocks_change_on, local_time, local_time_marked},
        session::{Console, WebResult},
    },
};

/// The compose form, as posted (and echoed back into the form on preview).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ComposeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    unit_ids: Vec<Uuid>,
    #[serde(default)]
    role_ids: Vec<Uuid>,
    /// Local time in the tenant's zone (`datetime-local`); empty means now.
    #[serde(default)]
    send_at: String,
    #[serde(default)]
    expires_at: String,
    #[serde(default)]
    requires_ack: Option<String>,
    #[serde(default)]
    urgent_reason: String,
    /// `preview` or `send`.
    #[serde(default)]
    step: String,
    /// Made when the form is first shown: a double-clicked Send sends once.
    #[serde(default)]
    key: String,
}

/// A `datetime-local` value in the tenant's zone, as UTC.
fn local_input(field: &str, value: &str) -> Result<Option<DateTime<Utc>>, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let naive = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .map_err(|_| AppError::invalid(field, "give a date and time, YYYY-MM-DDTHH:MM"))?;
    naive
        .and_local_timezone(DEFAULT_ZONE)
        .earliest()
        .map(|t| Some(t.with_timezone(&Utc)))
        .ok_or_else(|| {
            AppError::invalid(
                field,
                "that local time does not exist (the clocks go forward then)",
            )
        })
}

impl ComposeForm {
    fn input(&self) -> Result<NoticeInput, AppError> {
        let priority = parse_enum("priority", &self.priority)?.unwrap_or(Priority::Info);
        Ok(NoticeInput {
            title: self.title.clone(),
            body: self.body.clone(),
            priority,
            audience: Audience {
                all: false,
                unit_ids: self.unit_ids.clone(),
                role_ids: self.role_ids.clone(),
                employee_ids: Vec::new(),
            },
            send_at: local_input("send_at", &self.send_at)?,
            expires_at: local_input("expires_at", &self.expires_at)?,
            requires_ack: Some(self.requires_ack.is_some() || priority != Priority::Info),
            repeat_until_ack: None,
            urgent_reason: Some(self.urgent_reason.clone()).filter(|r| !r.trim().is_empty()),
        })
    }
}

/// One unit's row of the preview.
#[derive(Default)]
pub struct UnitRow {
    name: String,
    summary: Summary,
}

/// One person's row of the preview.
pub struct PersonRow {
    name: String,
    unit: String,
    outcome: String,
    when: String,
    reason: String,
}

pub struct PreviewView {
    summary: Summary,
    units: Vec<UnitRow>,
    people: Vec<PersonRow>,
}

#[derive(Template)]
#[template(path = "compose.html")]
struct ComposePage {
    c: Chrome,
    form: ComposeForm,
    units: Vec<(Uuid, String)>,
    roles: Vec<(Uuid, String)>,
    may_urgent: bool,
    preview: Option<PreviewView>,
    /// The organisation's templates: (id, name), to start from.
    templates: Vec<(Uuid, String)>,
}

async fn compose_page(
    state: &AppState,
    console: &Console,
    form: ComposeForm,
    preview: Option<PreviewView>,
    errors: Vec<(String, String)>,
) -> WebResult<Response> {
    let caller = &console.caller;
    let names = unit_names(&state.db, caller.tenant_id).await?;
    let units = unit_options(&names, &caller.unit_scope(&state.db).await?);
    let roles = by_name(role_names(&state.db, caller.tenant_id).await?.iter());
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let templates = templates::list_templates(&state.db, caller)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let mut c = Chrome::new(console, "compose-title", "nav-compose");
    c.refusal = crate::web::refused::Refused::errors(errors);
    let page = ComposePage {
        templates,
        c,
        may_urgent: caller.may_send_urgent(),
        form,
        units,
        roles,
        preview,
    };
    Ok((status, render(&page)?).into_response())
}

#[derive(Deserialize)]
pub struct ComposeQuery {
    /// A template to start from.
    template: Option<Uuid>,
}

/// The form for a new notice, empty or filled in from a template: for those who may
/// send one.
pub async fn compose(
    State(state): State<AppState>,
    console: Console,
    axum::extract::Query(query): axum::extract::Query<ComposeQuery>,
) -> WebResult<Response> {
    console.caller.may(Resource::Notices, Access::Write)?;
    let mut form = ComposeForm {
        priority: "info".to_owned(),
        key: Uuid::now_v7().to_string(),
        ..Default::default()
    };
    if let Some(id) = query.template {
        let template = templates::get_template(&state.db, &console.caller, id).await?;
        form.title = template.title;
        form.body = template.body;
        form.priority = sea_orm::ActiveEnum::to_value(&template.priority);
    }
    compose_page(&state, &console, form, None, Vec::new()).await
}

#[derive(Template)]
#[template(path = "notice_templates.html")]
struct TemplatesPage {
    c: Chrome,
    templates: Vec<templates::TemplateView>,
    priorities: Vec<(String, String)>,
}

/// The organisation's notice templates: each to start a notice from or remove, and a
/// form for a new one.
pub async fn templates_page(
    State(state): State<AppState>,
    console: Console,
) -> WebResult<Response> {
    console.caller.may(Resource::Notices, Access::Write)?;
    let c = Chrome::new(&console, "templates-title", "nav-compose");
    render(&TemplatesPage {
        templates: templates::list_templates(&state.db, &console.caller).await?,
        priorities: c
            .choices::<Priority>("priority")
            .into_iter()
            .filter(|(value, _)| value != "urgent")
            .collect(),
        c,
    })
}

#[derive(Deserialize, serde::Serialize)]
pub struct TemplateForm {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    priority: String,
}

pub async fn create_template(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<TemplateForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let created = async {
        let priority = parse_enum::<Priority>("priority", &form.priority)?
            .ok_or_else(|| AppError::invalid("priority", "choose one"))?;
        let input = templates::NewTemplate {
            name: form.name.clone(),
            title: form.title.clone(),
            body: form.body.clone(),
            priority,
        };
        templates::create_template(&state.db, &console.caller, input).await
    }
    .await;
    if let Err(err) = created {
        let console = console.refused(err, &form, "t-", "/console/notice-templates")?;
        return crate::web::refused::drawn_again(templates_page(State(state), console)).await;
    }
    Ok(Redirect::to("/console/notice-templates").into_response())
}

pub async fn delete_template(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<Uuid>,
    Form(form): Form<crate::web::session::CsrfForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    templates::delete_template(&state.db, &console.caller, id).await?;
    Ok(Redirect::to("/console/notice-templates").into_response())
}

/// Field errors to show in the form; other errors stay errors.
fn field_errors(err: AppError) -> Result<Vec<(String, String)>, AppError> {
    match err {
        AppError::Invalid(errors) => Ok(errors.into_iter().map(|e| (e.field, e.message)).collect()),
        AppError::Forbidden(detail) => Ok(vec![("priority".to_owned(), detail)]),
        other => Err(other),
    }
}

async fn preview_of(
    state: &AppState,
    console: &Console,
    input: NoticeInput,
) -> Result<PreviewView, AppError> {
    let caller = &console.caller;
    let send_at = input.send_at;
    let preview = create::preview(&state.db, caller, input, state.clock.now()).await?;
    let ids: Vec<Uuid> = preview.recipients.iter().map(|r| r.employee_id).collect();
    let people = employees::people_of(&state.db, caller.tenant_id, &ids).await?;
    let unit_names = unit_names(&state.db, caller.tenant_id).await?;
    let lang = console.lang;
    let mut units: BTreeMap<String, UnitRow> = BTreeMap::new();
    let mut rows = Vec::with_capacity(preview.recipients.len());
    for r in preview.recipients {
        let (name, unit_id) = people
            .get(&r.employee_id)
            .cloned()
            .unwrap_or_else(|| (r.employee_id.to_string(), Uuid::nil()));
        let unit = unit_names.get(&unit_id).cloned().unwrap_or_default();
        let row = units.entry(unit.clone()).or_insert_with(|| UnitRow {
            name: unit.clone(),
            ..Default::default()
        });
        row.summary.count(r.outcome);
        // Only those a push will reach have a when: nothing is pushed to someone
        // without an app, nor after the notice expires.
        let pushed = matches!(
            r.outcome,
            crate::notices::plan::Outcome::Now | crate::notices::plan::Outcome::Held
        );
        let when = r
            .deliver_at
            .filter(|_| pushed)
            .map(|at| {
                let change = clocks_change_on(at, DEFAULT_ZONE)
                    || send_at.is_some_and(|s| clocks_change_on(s, DEFAULT_ZONE));
                local_time(at, DEFAULT_ZONE, change)
            })
            .unwrap_or_default();
        rows.push(PersonRow {
            name,
            unit,
            outcome: sea_orm::ActiveEnum::to_value(&r.outcome),
            when,
            reason: lang.term("reason", &r.reason),
        });
    }
    rows.sort_by(|a, b| (&a.unit, &a.name).cmp(&(&b.unit, &b.name)));
    Ok(PreviewView {
        summary: preview.summary,
        units: units.into_values().collect(),
        people: rows,
    })
}

pub async fn submit(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<ComposeForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    // A form with mistakes is shown again with them: only to those who may send.
    console.caller.may(Resource::Notices, Access::Write)?;
    let input = match form.input() {
        Ok(input) => input,
        Err(err) => {
            let errors = field_errors(err)?;
            return compose_page(&state, &console, form, None, errors).await;
        }
    };
    if form.step == "send" {
        let key = IdempotencyKey::parse(&form.key).ok();
        match create::create(
            &state.db,
            &console.caller,
            input,
            key,
            state.limits.config(),
            state.clock.now(),
        )
        .await
        {
            Ok(created) => {
                state.due_now.nudge();
                let id = created.notice.id;
                return Ok(Redirect::to(&format!("/console/notices/{id}?sent=1")).into_response());
            }
            Err(err) => {
                let errors = field_errors(err)?;
                return compose_page(&state, &console, form, None, errors).await;
            }
        }
    }
    match preview_of(&state, &console, input).await {
        Ok(preview) => compose_page(&state, &console, form, Some(preview), Vec::new()).await,
        Err(err) => {
            let errors = field_errors(err)?;
            compose_page(&state, &console, form, None, errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "notices.html")]
struct ListPage {
    c: Chrome,
    notices: Vec<NoticeView>,
}

pub async fn list(State(state): State<AppState>, console: Console) -> WebResult<Response> {
    let notices = read::list_notices(&state.db, &console.caller, PageParams::default().request()?)
        .await?
        .items;
    render(&ListPage {
        c: Chrome::new(&console, "notices-title", "nav-notices"),
        notices,
    })
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    c: Chrome,
    notice: NoticeView,
    /// Per unit: name, recipients, reached, acknowledged.
    units: Vec<(String, i64, i64, i64)>,
    send_at: String,
    /// "Valid until", when the notice expires.
    expires_at: Option<String>,
    /// Just sent from the compose form: say so, or, when it goes later, when.
    sent: bool,
    /// Its send time is still to come.
    planned: bool,
    /// Just cancelled here: how many pushes that stopped.
    cancelled_now: Option<u64>,
    /// The recipients shown, by name: (person, name, unit, where they stand, when
    /// reached or planned, when read).
    people: Vec<PersonLine>,
    /// The follow-up's filters: (value, words, how many), and the one chosen.
    shows: Vec<(&'static str, String, u64)>,
    show: String,
    /// "100 of 2 345 shown" when the list is cut, and the links to the pages around.
    people_page: usize,
    people_pages: usize,
}

/// One recipient in the follow-up list.
struct PersonLine {
    id: Uuid,
    name: String,
    unit: String,
    standing: &'static str,
    when: String,
    read: String,
}

/// People a follow-up page lists.
const PEOPLE_PER_PAGE: u64 = 100;

#[derive(Deserialize)]
pub struct SentQuery {
    sent: Option<String>,
    cancelled: Option<u64>,
    /// Whom the follow-up lists: `all`, `unread` or a standing's name.
    #[serde(default)]
    show: String,
    #[serde(default)]
    page: Option<usize>,
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<Uuid>,
    axum::extract::Query(query): axum::extract::Query<SentQuery>,
) -> WebResult<Response> {
    let shown = Shown::by_name(&query.show)
        .ok_or_else(|| AppError::invalid("show", "not one of the choices"))?;
    let show = match query.show.as_str() {
        "" => "all".to_owned(),
        other => other.to_owned(),
    };
    let asked_page = query.page.unwrap_or(1).max(1);
    let (db, caller) = (&state.db, &console.caller);
    // Independent reads, each on a pooled connection of its own: for a notice to a
    // whole region the page waits for the slowest of them, not for their sum.
    let (notice, names, progress, counts, rows) = tokio::try_join!(
        read::get_notice(db, caller, id),
        unit_names(db, caller.tenant_id),
        read::progress_by_unit(db, caller, id),
        read::standing_counts(db, caller, id),
        read::follow_up_page(
            db,
            caller,
            id,
            shown,
            (asked_page - 1) as u64,
            PEOPLE_PER_PAGE
        ),
    )?;
    let units = progress
        .into_iter()
        .map(|p| {
            (
                names.get(&p.unit_id).cloned().unwrap_or_default(),
                p.recipients as i64,
                p.reached as i64,
                p.acked as i64,
            )
        })
        .collect();
    let c = Chrome::new(&console, "notice-title", "nav-notices");
    let everyone: u64 = counts.iter().map(|(_, n)| n).sum();
    let read_count = counts
        .iter()
        .find(|(s, _)| *s == Standing::Read)
        .map_or(0, |(_, n)| *n);
    let mut shows: Vec<(&'static str, String, u64)> = vec![
        ("all", c.t("follow-all"), everyone),
        ("unread", c.t("follow-unread"), everyone - read_count),
    ];
    for (standing, n) in &counts {
        shows.push((standing.name(), c.word("follow", standing.name()), *n));
    }
    let matching = shows
        .iter()
        .find(|(value, _, _)| *value == show)
        .map_or(0, |(_, _, n)| *n);
    let people_pages = usize::try_from(matching.div_ceil(PEOPLE_PER_PAGE))
        .unwrap_or(usize::MAX)
        .max(1);
    let people_page = asked_page.min(people_pages);
    let rows = if people_page == asked_page {
        rows
    } else {
        // A page past the end (an old link): the last one.
        let last = (people_page - 1) as u64;
        read::follow_up_page(db, caller, id, shown, last, PEOPLE_PER_PAGE).await?
    };
    let at = |t: Option<DateTime<Utc>>| {
        t.map(|t| local_time_marked(t, DEFAULT_ZONE))
            .unwrap_or_default()
    };
    let people: Vec<PersonLine> = rows
        .into_iter()
        .map(|row| {
            let standing = row.standing();
            PersonLine {
                id: row.employee_id,
                unit: names.get(&row.unit_id).cloned().unwrap_or_default(),
                name: row.name,
                standing: standing.name(),
                when: match standing {
                    Standing::Read | Standing::Reached => at(row.pushed_at),
                    Standing::Waiting => at(row.deliver_at),
                    Standing::NoApp | Standing::Expired => String::new(),
                },
                read: at(row.acked_at),
            }
        })
        .collect();
    render(&NoticePage {
        people,
        shows,
        show,
        people_page,
        people_pages,
        cancelled_now: query.cancelled,
        units,
        c,
        send_at: local_time_marked(notice.send_at, DEFAULT_ZONE),
        expires_at: notice
            .expires_at
            .map(|at| local_time_marked(at, DEFAULT_ZONE)),
        planned: notice.send_at > state.clock.now(),
        notice,
        sent: query.sent.is_some(),
    })
}

/// Cancelling: the box ticked to say it is meant.
#[derive(Deserialize)]
pub struct CancelForm {
    csrf: String,
    #[serde(default)]
    confirm: String,
}

pub async fn cancel(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<Uuid>,
    Form(form): Form<CancelForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let before = read::get_notice(&state.db, &console.caller, id).await?;
    if form.confirm != "yes" {
        return Err(
            AppError::invalid("confirm", "confirm that the notice is to be cancelled").into(),
        );
    }
    let after = read::cancel(
        &state.db,
        &state.stops,
        &console.caller,
        id,
        state.clock.now(),
    )
    .await?;
    // What this cancel stopped, for the confirmation ("12 pushes stopped").
    let stopped = after.stats.cancelled.saturating_sub(before.stats.cancelled);
    Ok(Redirect::to(&format!("/console/notices/{id}?cancelled={stopped}")).into_response())
}
