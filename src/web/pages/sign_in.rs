//! Signing in with an API token, signing out, and choosing the language.
use askama::Template;
use axum::{
    Form,
    extract::{Path, Query, State},
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::{CookieJar, cookie::Cookie};
use serde::Deserialize;

use super::{Chrome, render};
use crate::{
    app::AppState,
    auth::{AccessRole, sessions},
    web::{
        i18n::Lang,
        session::{
            Console, CsrfForm, LANG_COOKIE, SESSION_COOKIE, SIGN_IN_CSRF_COOKIE, Visitor,
            WebResult, behind_tls, constant_time_eq, local_next, sign_in_csrf, strict_cookie,
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
    visitor: Visitor,
    jar: CookieJar,
    headers: &HeaderMap,
    next: String,
    failed: bool,
) -> WebResult<Response> {
    let (jar, csrf) = sign_in_csrf(jar, behind_tls(headers));
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
    visitor: Visitor,
    jar: CookieJar,
    headers: HeaderMap,
    Query(query): Query<NextQuery>,
) -> WebResult<Response> {
    sign_in_page(
        visitor,
        jar,
        &headers,
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

pub async fn sign_in(
    State(state): State<AppState>,
    visitor: Visitor,
    jar: CookieJar,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> WebResult<Response> {
    let expected = jar.get(SIGN_IN_CSRF_COOKIE).map(|c| c.value().to_owned());
    let next = local_next(form.next.as_deref());
    if !expected.is_some_and(|e| constant_time_eq(e.as_bytes(), form.csrf.as_bytes())) {
        return sign_in_page(visitor, jar, &headers, next, true);
    }
    let Some(opened) = sessions::open_session(&state.db, &form.token, state.clock.now()).await?
    else {
        tracing::info!("console sign-in refused: no active token with that secret");
        return sign_in_page(visitor, jar, &headers, next, true);
    };
    tracing::info!(token_id = %opened.caller.token_id, "console sign-in");
    let target = if next == "/console" {
        start_of(opened.caller.role).to_owned()
    } else {
        next
    };
    let jar = jar
        .remove(Cookie::build(SIGN_IN_CSRF_COOKIE).path("/console"))
        .add(strict_cookie(
            SESSION_COOKIE,
            opened.secret,
            behind_tls(&headers),
        ));
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
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/console"));
    Ok((jar, Redirect::to("/console/sign-in")).into_response())
}

/// Sets the language cookie and goes back to the page the switch was on.
pub async fn language(
    Path(lang): Path<String>,
    jar: CookieJar,
    headers: HeaderMap,
    Query(query): Query<NextQuery>,
) -> Response {
    let lang = Lang::parse(&lang).unwrap_or_default();
    let mut cookie = strict_cookie(LANG_COOKIE, lang.code().to_owned(), behind_tls(&headers));
    cookie.set_max_age(Some(time_year()));
    (
        jar.add(cookie),
        Redirect::to(&local_next(query.next.as_deref())),
    )
        .into_response()
}

fn time_year() -> cookie::time::Duration {
    cookie::time::Duration::days(365)
}
