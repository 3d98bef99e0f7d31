//! Signing in with an API token, signing out, and choosing the language.
use askama::Template;
use axum::{
    Form,
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::{
    CookieJar,
    cookie::{Cookie, SameSite},
};
use serde::Deserialize;
use serde_json::json;

use super::{Chrome, render};
use crate::{
    app::AppState,
    auth::{AccessRole, sessions, tokens},
    error::AppError,
    limits::ClientKey,
    security_events,
    web::{
        i18n::Lang,
        session::{
            Console, CsrfForm, LANG_COOKIE, SESSION_COOKIE, SIGN_IN_CSRF_COOKIE, Visitor,
            WebResult, constant_time_eq, local_next, sign_in_csrf,
        },
    },
};

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    c: Chrome,
    csrf: String,
    next: String,
    failed: bool,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn sign_in_page(
    state: &AppState,
    visitor: Visitor,
    jar: CookieJar,
    next: String,
    failed: bool,
) -> WebResult<Response> {
    let (jar, csrf) = sign_in_csrf(jar, &state.site);
    let page = SignInPage {
        c: Chrome::public(visitor.lang, "sign-in", "/console/sign-in"),
        csrf,
        next,
        failed,
    };
    let status = if failed {
        axum::http::StatusCode::UNAUTHORIZED
    } else {
        axum::http::StatusCode::OK
    };
    Ok((status, jar, render(&page)?).into_response())
}

pub async fn form(
    State(state): State<AppState>,
    visitor: Visitor,
    jar: CookieJar,
    Query(query): Query<NextQuery>,
) -> WebResult<Response> {
    sign_in_page(
        &state,
        visitor,
        jar,
        local_next(query.next.as_deref()),
        false,
    )
}

#[derive(Deserialize)]
pub struct SignInForm {
    csrf: String,
    token: String,
    next: Option<String>,
}

/// Where a role's console starts.
pub fn start_of(role: AccessRole) -> &'static str {
    match role {
        AccessRole::Admin => "/console",
        AccessRole::Manager => "/console/notices",
        AccessRole::Employee => "/console/me",
    }
}

/// Signs in with a token: a client that failed too often of late is refused before the
/// token is looked at; a session the browser already had is ended, and a new one (a
/// new id) opened.
pub async fn sign_in(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientKey,
    jar: CookieJar,
    Form(form): Form<SignInForm>,
) -> WebResult<Response> {
    let site = &state.site;
    let expected = jar
        .get(&site.cookie_name(SIGN_IN_CSRF_COOKIE))
        .map(|c| c.value().to_owned());
    let next = local_next(form.next.as_deref());
    if !expected.is_some_and(|e| constant_time_eq(e.as_bytes(), form.csrf.as_bytes())) {
        return sign_in_page(&state, visitor, jar, next, true);
    }
    let client = client.with_secret(form.token.trim());
    state.limits.refuse_if_blocked(&client)?;
    let now = state.clock.now();
    let source = json!({"source_address": client.address().map(|a| a.to_string())});
    let Some(opened) = sessions::open_session(&state.db, &form.token, now, state.sessions).await?
    else {
        tracing::info!("console sign-in refused: no usable token with that secret");
        // A token that exists but no longer works (revoked, expired, its person gone) is
        // its tenant's to know about; an unknown secret belongs to no tenant.
        if let Some(actor) = tokens::actor_of_secret(&state.db, &form.token).await? {
            security_events::record(&state.db, &actor, "sign-in.refused", source.clone()).await?;
        }
        return match state.limits.failed_auth(&client) {
            AppError::Unauthorized => sign_in_page(&state, visitor, jar, next, true),
            refused => Err(refused.into()),
        };
    };
    if let Some(old) = jar.get(&site.cookie_name(SESSION_COOKIE)) {
        sessions::close_session_by_secret(&state.db, old.value()).await?;
    }
    tracing::info!(token_id = %opened.caller.token_id, "console sign-in");
    security_events::record(&state.db, &opened.caller.actor(), "sign-in", source).await?;
    let target = if next == "/console" {
        start_of(opened.caller.role).to_owned()
    } else {
        next
    };
    let jar = jar
        .remove(site.removal(SIGN_IN_CSRF_COOKIE))
        .add(site.cookie(SESSION_COOKIE, opened.secret));
    Ok((jar, Redirect::to(&target)).into_response())
}

pub async fn sign_out(
    State(state): State<AppState>,
    console: Console,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    sessions::close_session(&state.db, console.session_id).await?;
    let jar = jar.remove(state.site.removal(SESSION_COOKIE));
    Ok((jar, Redirect::to("/console/sign-in")).into_response())
}

/// Sets the language cookie and goes back to the page the switch was on.
pub async fn language(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    jar: CookieJar,
    Query(query): Query<NextQuery>,
) -> Response {
    let lang = Lang::parse(&lang).unwrap_or_default();
    // A preference, not a credential: no `__Host-` name, so that every page (and the
    // error pages, written without the state) reads it by one name.
    let cookie = Cookie::build((LANG_COOKIE, lang.code().to_owned()))
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.site.secure_cookies())
        .max_age(time_year())
        .build();
    (
        jar.add(cookie),
        Redirect::to(&local_next(query.next.as_deref())),
    )
        .into_response()
}

fn time_year() -> cookie::time::Duration {
    cookie::time::Duration::days(365)
}
