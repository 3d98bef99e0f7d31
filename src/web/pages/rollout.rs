//! The roll-out planner: device profiles, rules (role, unit) -> profile and wave, the
//! plan's cost per unit and role up to a wave, and what one wave adds to another.
use askama::Template;
use axum::{
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::{Form, Query};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Chrome,
    list::{by_name, opt, parse_id, unit_options},
    render,
};
use crate::{
    app::AppState,
    downloads::{ReportFormat, respond},
    error::AppError,
    inventory::devices::DeviceKind,
    money::Money,
    org::{roles::role_names, units::unit_names},
    pagination::{MAX_LIMIT, PageParams},
    reports::cache,
    rollout::{
        profiles::{self, NewProfile, ProfileView},
        report::{self, Comparison, RolloutReport},
        rules::{self, NewRule, RuleView},
    },
    web::session::{Console, CsrfForm, WebResult},
};

#[derive(Clone, Debug, Default, Deserialize)]
pub struct PlanQuery {
    /// Plan up to this wave; empty: every rule.
    #[serde(default)]
    wave: String,
    /// Compare wave `a` with wave `b`.
    #[serde(default)]
    a: String,
    #[serde(default)]
    b: String,
    format: Option<ReportFormat>,
}

fn wave_of(field: &str, value: &str) -> Result<Option<i32>, AppError> {
    opt(value)
        .map(|v| match v.parse::<i32>() {
            Ok(w) if w >= 0 => Ok(w),
            _ => Err(AppError::invalid(field, "a wave: 0, 1, 2, ...")),
        })
        .transpose()
}

/// A rule as the page shows it: names instead of ids.
pub struct RuleRow {
    id: Uuid,
    role: String,
    unit: Option<String>,
    profile: Option<String>,
    wave: i32,
}

#[derive(Template)]
#[template(path = "rollout.html")]
struct PlannerPage {
    c: Chrome,
    profiles: Vec<ProfileView>,
    rules: Vec<RuleRow>,
    roles: Vec<(Uuid, String)>,
    units: Vec<(Uuid, String)>,
    report: RolloutReport,
    waves: Vec<i32>,
    query: PlanQuery,
    comparison: Option<Comparison>,
    view: String,
    total_rows: i64,
}

pub async fn planner(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<PlanQuery>,
) -> WebResult<Response> {
    let caller = &console.caller;
    let tenant_id = caller.tenant_id;
    let wave = wave_of("wave", &query.wave)?;
    let now = state.clock.now();
    let inputs = cache::rollout_inputs(&state.reports, &state.db, caller, now).await?;
    let scope = caller.unit_scope(&state.db).await?;
    let comparison = match (wave_of("a", &query.a)?, wave_of("b", &query.b)?) {
        (Some(a), Some(b)) => Some(report::compare(&inputs, a, b)),
        _ => None,
    };
    if let Some(format @ (ReportFormat::Csv | ReportFormat::Xlsx)) = query.format {
        return Ok(if let Some(c) = comparison {
            respond(Some(format), "utrullning-jamforelse", &(), || c.table())?
        } else {
            let plan = report::compute(&inputs, wave);
            respond(Some(format), "utrullning", &(), || plan.table())?
        });
    }
    let mut report = report::compute(&inputs, wave);
    // A page stays light: the first rows on screen, every row in the downloads.
    let total_rows = report.rows.len() as i64;
    report.rows.truncate(super::reports::SHOWN_ROWS);
    let all = PageParams {
        limit: Some(MAX_LIMIT),
        cursor: None,
    };
    let profiles = profiles::list_profiles(&state.db, caller, all.request()?)
        .await?
        .items;
    let roles = by_name(role_names(&state.db, tenant_id).await?.iter());
    let names = unit_names(&state.db, tenant_id).await?;
    let rule_views: Vec<RuleView> = rules::list_rules(&state.db, caller, all.request()?)
        .await?
        .items;
    let mut waves: Vec<i32> = rule_views.iter().map(|r| r.wave).collect();
    waves.sort_unstable();
    waves.dedup();
    let mut rules: Vec<RuleRow> = rule_views
        .into_iter()
        // A manager plans within their units: tenant-wide rules and theirs.
        .filter(|r| r.unit_id.is_none_or(|u| scope.contains(u)))
        .map(|r| RuleRow {
            id: r.id,
            role: roles
                .iter()
                .find(|(id, _)| *id == r.role_id)
                .map(|(_, n)| n.clone())
                .unwrap_or_default(),
            unit: r
                .unit_id
                .map(|u| names.get(&u).cloned().unwrap_or_default()),
            profile: r.profile_id.map(|p| {
                profiles
                    .iter()
                    .find(|x| x.id == p)
                    .map(|x| x.name.clone())
                    .unwrap_or_default()
            }),
            wave: r.wave,
        })
        .collect();
    rules.sort_by(|a, b| (a.wave, &a.role, &a.unit).cmp(&(b.wave, &b.role, &b.unit)));
    let view = serde_urlencoded::to_string([
        ("wave", query.wave.as_str()),
        ("a", query.a.as_str()),
        ("b", query.b.as_str()),
    ])
    .unwrap_or_default();
    render(&PlannerPage {
        c: Chrome::new(&console, "rollout-title", "nav-rollout"),
        profiles,
        rules,
        roles,
        units: unit_options(&names, &scope),
        report,
        waves,
        query,
        comparison,
        view,
        total_rows,
    })
}

#[derive(Deserialize, serde::Serialize)]
pub struct ProfileForm {
    csrf: String,
    name: String,
    device_kind: String,
    device_price: String,
    setup_cost: String,
    monthly_subscription_cost: String,
    monthly_support_cost: String,
    lifetime_months: String,
}

fn money(field: &str, value: &str) -> Result<Money, AppError> {
    Money::parse(&value.trim().replace(',', ".")).map_err(|m| AppError::invalid(field, m))
}

pub async fn add_profile(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<ProfileForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let created = async {
        let device_kind = <DeviceKind as sea_orm::ActiveEnum>::try_from_value(&form.device_kind)
            .map_err(|_| AppError::invalid("device_kind", "phone or tablet"))?;
        let input =
            NewProfile {
                name: form.name.clone(),
                device_kind,
                device_price: money("device_price", &form.device_price)?,
                setup_cost: money("setup_cost", &form.setup_cost)?,
                monthly_subscription_cost: money(
                    "monthly_subscription_cost",
                    &form.monthly_subscription_cost,
                )?,
                monthly_support_cost: money("monthly_support_cost", &form.monthly_support_cost)?,
                lifetime_months: form.lifetime_months.trim().parse().map_err(|_| {
                    AppError::invalid("lifetime_months", "a whole number of months")
                })?,
            };
        profiles::create_profile(&state.db, &console.caller, input).await
    }
    .await;
    match created {
        Ok(_) => Ok(Redirect::to("/console/rollout#profiles").into_response()),
        Err(err) => again(state, console, err, &form, "p-").await,
    }
}

/// The roll-out page again, with one of its forms refused (`prefix`: its fields' ids).
async fn again(
    state: AppState,
    console: Console,
    err: AppError,
    form: &impl serde::Serialize,
    prefix: &'static str,
) -> WebResult<Response> {
    let console = console.refused(err, form, prefix, "/console/rollout")?;
    crate::web::refused::drawn_again(planner(State(state), console, Query(PlanQuery::default())))
        .await
}

#[derive(Deserialize, serde::Serialize)]
pub struct RuleForm {
    csrf: String,
    role_id: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    profile_id: String,
    wave: String,
}

pub async fn add_rule(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<RuleForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let created = async {
        let input = NewRule {
            role_id: parse_id("role_id", &form.role_id)?
                .ok_or_else(|| AppError::invalid("role_id", "choose a role"))?,
            unit_id: parse_id("unit_id", &form.unit_id)?,
            profile_id: parse_id("profile_id", &form.profile_id)?,
            wave: wave_of("wave", &form.wave)?
                .ok_or_else(|| AppError::invalid("wave", "a wave"))?,
        };
        rules::create_rule(&state.db, &console.caller, input).await
    }
    .await;
    match created {
        Ok(_) => Ok(Redirect::to("/console/rollout#rules").into_response()),
        Err(err) => again(state, console, err, &form, "r-").await,
    }
}

pub async fn delete_rule(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<Uuid>,
    Form(form): Form<CsrfForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    rules::delete_rule(&state.db, &console.caller, id).await?;
    Ok(Redirect::to("/console/rollout#rules").into_response())
}
