//! The admin's own tools: API tokens (issue — the secret shown once — and revoke) and
//! the audit log.
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
    list::{Filter, ListPage, Row, employee_by_email, opt, pager, view_query},
    render,
};
use crate::web::refused::drawn_again;
use crate::{
    app::AppState,
    audit::{self, AuditFilter},
    auth::{
        AccessRole,
        tokens::{self, NewToken, TokenView},
    },
    error::AppError,
    org::units::unit_names,
    pagination::{MAX_LIMIT, PageParams},
    web::{
        pages::list::unit_options,
        session::{Console, CsrfForm, WebResult},
    },
};

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    c: Chrome,
    tokens: Vec<TokenView>,
    units: Vec<(Uuid, String)>,
    /// A token just issued: its secret, shown this once.
    issued: Option<(String, String)>,
}

async fn tokens_page(
    state: &AppState,
    console: &Console,
    issued: Option<(String, String)>,
) -> WebResult<Response> {
    let page = PageParams {
        limit: Some(MAX_LIMIT),
        cursor: None,
    }
    .request()?;
    let tokens = tokens::list_tokens(&state.db, &console.caller, page)
        .await?
        .items;
    let names = unit_names(&state.db, console.caller.tenant_id).await?;
    render(&TokensPage {
        c: Chrome::new(console, "tokens-title", "nav-tokens"),
        tokens,
        units: unit_options(&names, &crate::auth::UnitScope::Tenant),
        issued,
    })
}

pub async fn tokens(State(state): State<AppState>, console: Console) -> WebResult<Response> {
    tokens_page(&state, &console, None).await
}

#[derive(Deserialize, serde::Serialize)]
pub struct IssueForm {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    employee_email: String,
    #[serde(default)]
    unit_ids: Vec<Uuid>,
    #[serde(default)]
    can_send_urgent: Option<String>,
    /// Ticked to confirm an admin token (it may change everything).
    #[serde(default)]
    confirm_admin: String,
}

pub async fn issue(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<IssueForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let issued = async {
        let role = <AccessRole as sea_orm::ActiveEnum>::try_from_value(&form.role)
            .map_err(|_| AppError::invalid("role", "admin, manager or employee"))?;
        if role == AccessRole::Admin && form.confirm_admin != "yes" {
            return Err(AppError::invalid(
                "confirm_admin",
                "confirm that this token may change everything in the organisation",
            ));
        }
        let employee_id = match opt(&form.employee_email) {
            Some(email) => Some(
                employee_by_email(
                    &state.db,
                    console.caller.tenant_id,
                    "employee_email",
                    &email,
                )
                .await?,
            ),
            None => None,
        };
        let input = NewToken {
            name: form.name.clone(),
            role,
            employee_id,
            unit_ids: (!form.unit_ids.is_empty()).then(|| form.unit_ids.clone()),
            can_send_urgent: Some(form.can_send_urgent.is_some()),
            expires_at: None,
        };
        tokens::issue_token(&state.db, &console.caller, input, state.clock.now()).await
    }
    .await;
    match issued {
        // The page answers the POST directly: the secret is never in a URL or a redirect.
        Ok(issued) => tokens_page(&state, &console, Some((issued.view.name, issued.token))).await,
        Err(err) => {
            let console = console.refused(err, &form, "t-", "/console/tokens")?;
            drawn_again(tokens_page(&state, &console, None)).await
        }
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<Uuid>,
    Form(form): Form<CsrfForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    tokens::revoke_token(&state.db, &console.caller, id).await?;
    state.tokens.evict(id);
    Ok(Redirect::to("/console/tokens").into_response())
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    entity_type: String,
    #[serde(default)]
    action: String,
    cursor: Option<String>,
    /// The cursors of the pages before this one (see `list::pager`).
    back: Option<String>,
}

const ENTITY_TYPES: [&str; 7] = [
    "device",
    "subscription",
    "employee",
    "unit",
    "role",
    "token",
    "notice",
];

pub async fn audit_log(
    State(state): State<AppState>,
    console: Console,
    Query(query): Query<AuditQuery>,
) -> WebResult<Response> {
    let filter = AuditFilter {
        entity_type: opt(&query.entity_type),
        entity_id: None,
        action: opt(&query.action),
    };
    let page = PageParams {
        limit: Some(crate::pagination::DEFAULT_LIMIT),
        cursor: query.cursor.clone(),
    }
    .request()?;
    let page = audit::list_events(
        &state.db,
        &console.caller,
        &filter,
        page,
        audit::Reading::Latest,
    )
    .await?;
    let c = Chrome::new(&console, "audit-title", "nav-audit");
    let things: Vec<(&str, Uuid)> = page
        .items
        .iter()
        .map(|e| (e.entity_type.as_str(), e.entity_id))
        .collect();
    // What each thing is called, not its id; one that is gone keeps its id.
    let names = audit::names_of(&state.db, console.caller.tenant_id, &things).await?;
    let columns = vec!["at", "actor", "action", "entity_type", "entity"];
    let rows = page
        .items
        .iter()
        .map(|e| Row {
            href: match e.entity_type.as_str() {
                "device" => format!("/console/devices/{}", e.entity_id),
                "subscription" => format!("/console/subscriptions/{}", e.entity_id),
                "employee" => format!("/console/employees/{}", e.entity_id),
                "notice" => format!("/console/notices/{}", e.entity_id),
                _ => format!("/console/audit?entity_type={}", e.entity_type),
            },
            cells: vec![
                c.moment(&e.at),
                e.actor.clone(),
                c.word_or_same("audit-action", &e.action),
                c.word_or_same("entity", &e.entity_type),
                names
                    .get(&e.entity_id)
                    .cloned()
                    .unwrap_or_else(|| e.entity_id.to_string()),
            ],
        })
        .collect();
    let view = view_query(
        &[
            ("entity_type", &query.entity_type),
            ("action", &query.action),
        ],
        &[],
    );
    let filters = vec![
        Filter::choice(
            "entity_type",
            c.t("col-entity-type"),
            &query.entity_type,
            ENTITY_TYPES
                .iter()
                .map(|t| ((*t).to_owned(), c.word_or_same("entity", t))),
        ),
        Filter::search("action", c.t("col-action"), None, &query.action),
    ];
    ListPage {
        all_columns: columns
            .iter()
            .map(|col| (*col, c.word("col", col)))
            .collect(),
        caption: c.t("audit-caption"),
        empty: c.t("audit-none"),
        c,
        path: "/console/audit",
        filters,
        columns,
        rows,
        pager: pager(
            "/console/audit",
            &view,
            query.cursor.as_deref(),
            query.back.as_deref(),
            page.next_cursor,
        ),
        total: None,
        export: None,
        on_all: None,
        sorting: None,
    }
    .render()
}
