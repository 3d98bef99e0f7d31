//! Signing in and out, and choosing the language. People sign in through their
//! organisation's identity provider, found by its short name (remembered in a cookie);
//! a pasted API token still works where the organisation allows it (integrations, IT,
//! break-glass access).
use askama::Template;
use axum::{
    Form,
    extract::{Path, Query, State},
    http::StatusCode,
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
    auth::{
        AccessRole, SignInMethod,
        sessions::{self, TokenSignIn},
        tokens,
    },
    error::AppError,
    identity::{
        settings::relying_party,
        sign_in::{self as idp, Callback, Refusal},
    },
    limits::ClientKey,
    security_events,
    web::{
        i18n::Lang,
        session::{
            Console, CsrfForm, LANG_COOKIE, SESSION_COOKIE, SIGN_IN_CSRF_COOKIE, Visitor,
            WebResult, local_next, sign_in_csrf,
        },
    },
};

/// The organisation chosen at sign-in, remembered for next time (a preference, read
/// only by our own pages).
pub const ORGANISATION_COOKIE: &str = "stilla_organisation";
/// The browser's half of a sign-in on its way through the identity provider. It must
/// come back with the provider's redirect, a cross-site navigation: `SameSite=Lax`.
pub const ATTEMPT_COOKIE: &str = "stilla_signin_attempt";

/// The organisation a sign-in page offers.
struct OrganisationChoice {
    name: String,
    has_provider: bool,
    start_href: String,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    c: Chrome,
    csrf: String,
    next: String,
    failed: bool,
    token_refused: Option<String>,
    organisation: Option<OrganisationChoice>,
    unknown_organisation: bool,
    /// The token form, where the organisation allows it; `Some(true)`: shown open, as
    /// the way in (no organisation with a provider chosen).
    token_form: Option<bool>,
}

#[derive(Template)]
#[template(path = "moving_on.html")]
struct MovingOnPage {
    c: Chrome,
    message: String,
    to: String,
}

#[derive(Template)]
#[template(path = "sign_in_refused.html")]
struct RefusedPage {
    c: Chrome,
    message: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    /// A short name typed in, or linked from the intranet; empty: choose again.
    organisation: Option<String>,
}

/// How the sign-in page came to be shown.
#[derive(Default)]
struct Outcome {
    failed: bool,
    token_refused: Option<String>,
}

async fn sign_in_page(
    state: &AppState,
    visitor: Visitor,
    jar: CookieJar,
    asked: Option<String>,
    next: String,
    outcome: Outcome,
) -> WebResult<Response> {
    let lang = visitor.lang;
    let remembered = jar.get(ORGANISATION_COOKIE).map(|c| c.value().to_owned());
    let slug = asked
        .clone()
        .or(remembered)
        .filter(|s| !s.trim().is_empty());
    let found = match &slug {
        Some(slug) => idp::organisation(&state.db, slug).await?,
        None => None,
    };
    let unknown_organisation = asked.is_some_and(|a| !a.trim().is_empty()) && found.is_none();
    let mut jar = jar;
    if let Some(org) = &found {
        jar = jar.add(organisation_cookie(state, &org.tenant.slug));
    } else if slug.is_some() {
        jar = jar.remove(Cookie::build(ORGANISATION_COOKIE).path("/console").build());
    }
    let token_form = found
        .as_ref()
        .is_none_or(|org| org.tenant.console_token_sign_in || !org.has_provider);
    let token_first = found.as_ref().is_none_or(|org| !org.has_provider);
    let organisation = found.map(|org| {
        let query = serde_urlencoded::to_string([
            ("organisation", org.tenant.slug.as_str()),
            ("next", next.as_str()),
        ])
        .unwrap_or_default();
        OrganisationChoice {
            name: org.tenant.name,
            has_provider: org.has_provider,
            start_href: format!("/console/sign-in/start?{query}"),
        }
    });
    let (jar, csrf) = sign_in_csrf(jar, &state.site);
    let status = if outcome.failed || outcome.token_refused.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    let page = SignInPage {
        c: Chrome::public(lang, "sign-in", "/console/sign-in"),
        csrf,
        next,
        failed: outcome.failed,
        token_refused: outcome.token_refused,
        organisation,
        unknown_organisation,
        token_form: token_form.then_some(token_first),
    };
    Ok((status, jar, render(&page)?).into_response())
}

fn organisation_cookie(state: &AppState, slug: &str) -> Cookie<'static> {
    Cookie::build((ORGANISATION_COOKIE, slug.to_owned()))
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.site.secure_cookies())
        .max_age(time_year())
        .build()
}

pub async fn form(
    State(state): State<AppState>,
    visitor: Visitor,
    jar: CookieJar,
    Query(query): Query<SignInQuery>,
) -> WebResult<Response> {
    let next = local_next(query.next.as_deref());
    sign_in_page(
        &state,
        visitor,
        jar,
        query.organisation,
        next,
        Outcome::default(),
    )
    .await
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
        // A provisioning token never opens a console session.
        AccessRole::Scim => "/console/sign-in",
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
    let failed = Outcome {
        failed: true,
        token_refused: None,
    };
    if !expected.is_some_and(|e| tokens::same_secret(&e, &form.csrf)) {
        return sign_in_page(&state, visitor, jar, None, next, failed).await;
    }
    let client = client.with_secret(form.token.trim());
    state.limits.refuse_if_blocked(&client)?;
    let now = state.clock.now();
    let source = json!({"source_address": client.address().map(|a| a.to_string())});
    let opened = match sessions::open_session(&state.db, &form.token, now, state.sessions).await? {
        TokenSignIn::Opened(opened) => opened,
        TokenSignIn::TurnedOff { caller } => {
            tracing::info!("console sign-in refused: token sign-in is turned off for the tenant");
            security_events::record(
                &state.db,
                &caller.actor(),
                "sign-in.refused",
                json!({"reason": "token-sign-in-off", "source_address": source["source_address"]}),
            )
            .await?;
            let refused = Outcome {
                failed: false,
                token_refused: Some(visitor.lang.t("sign-in-token-off")),
            };
            return sign_in_page(&state, visitor, jar, None, next, refused).await;
        }
        TokenSignIn::NoSuchToken => {
            tracing::info!("console sign-in refused: no usable token with that secret");
            // A token that exists but no longer works (revoked, expired, its person gone) is
            // its tenant's to know about; an unknown secret belongs to no tenant.
            if let Some(actor) = tokens::actor_of_secret(&state.db, &form.token).await? {
                security_events::record(&state.db, &actor, "sign-in.refused", source.clone())
                    .await?;
            }
            return match state.limits.failed_auth(&client) {
                AppError::Unauthorized => {
                    sign_in_page(&state, visitor, jar, None, next, failed).await
                }
                refused => Err(refused.into()),
            };
        }
    };
    if let Some(old) = jar.get(&site.cookie_name(SESSION_COOKIE)) {
        sessions::close_session_by_secret(&state.db, old.value()).await?;
    }
    tracing::info!(token_id = %opened.caller.principal_id, "console sign-in");
    security_events::record(&state.db, &opened.caller.actor(), "sign-in", source).await?;
    let target = landing(next, opened.caller.role);
    let jar = jar
        .remove(site.removal(SIGN_IN_CSRF_COOKIE))
        .add(site.cookie(SESSION_COOKIE, opened.secret));
    Ok((jar, Redirect::to(&target)).into_response())
}

/// The page asked for, or the role's start when none was.
fn landing(next: String, role: AccessRole) -> String {
    if next == "/console" {
        start_of(role).to_owned()
    } else {
        next
    }
}

/// Sends the browser to its organisation's identity provider.
pub async fn start(
    State(state): State<AppState>,
    visitor: Visitor,
    jar: CookieJar,
    Query(query): Query<SignInQuery>,
) -> WebResult<Response> {
    let next = local_next(query.next.as_deref());
    let slug = query.organisation.unwrap_or_default();
    let started = match idp::organisation(&state.db, &slug).await? {
        None => Err(Refusal::UnknownOrganisation),
        Some(org) => {
            let now = state.clock.now();
            idp::start(
                &state.db,
                &state.identity,
                &state.site,
                org.tenant.id,
                &next,
                now,
            )
            .await
        }
    };
    match started {
        Ok(started) => {
            let jar = jar
                .add(organisation_cookie(&state, &slug.trim().to_lowercase()))
                .add(
                    state
                        .site
                        .cross_site_cookie(ATTEMPT_COOKIE, started.browser_secret),
                );
            Ok((jar, Redirect::to(&started.provider_url)).into_response())
        }
        Err(refusal) => refused_page(visitor.lang, &refusal),
    }
}

/// Where the identity provider sends the browser back. A good sign-in gets a page that
/// moves on by itself: the browser arrived from another site, and would not send the
/// new session's `SameSite=Strict` cookie on a plain redirect.
pub async fn callback(
    State(state): State<AppState>,
    visitor: Visitor,
    jar: CookieJar,
    Query(callback): Query<Callback>,
) -> WebResult<Response> {
    let site = &state.site;
    let secret = jar
        .get(&site.cookie_name(ATTEMPT_COOKIE))
        .map(|c| c.value().to_owned());
    let jar = jar.remove(site.removal(ATTEMPT_COOKIE));
    let now = state.clock.now();
    let finished = idp::finish(
        &state.db,
        &state.identity,
        site,
        secret.as_deref(),
        callback,
        now,
        state.sessions,
    )
    .await;
    let signed_in = match finished {
        Ok(signed_in) => signed_in,
        Err(Refusal::App(e)) => return Err(e.into()),
        Err(refusal) => return Ok((jar, refused_page(visitor.lang, &refusal)?).into_response()),
    };
    let mut jar = jar;
    if let Some(old) = jar.get(&site.cookie_name(SESSION_COOKIE)) {
        sessions::close_session_by_secret(&state.db, old.value()).await?;
    }
    tracing::info!(employee_id = %signed_in.opened.caller.principal_id, "console sign-in through the identity provider");
    let to = landing(signed_in.next, signed_in.opened.caller.role);
    jar = jar.add(site.cookie(SESSION_COOKIE, signed_in.opened.secret));
    let page = MovingOnPage {
        c: Chrome::public(visitor.lang, "signed-in-title", "/console/sign-in"),
        message: visitor.lang.t("signed-in-moving-on"),
        to,
    };
    Ok((jar, render(&page)?).into_response())
}

/// The page that says why a sign-in through the provider did not work.
fn refused_page(lang: Lang, refusal: &Refusal) -> WebResult<Response> {
    let key = match refusal {
        Refusal::UnknownOrganisation => "sign-in-unknown-organisation",
        Refusal::NoProvider => "sign-in-no-provider",
        Refusal::NoAttempt | Refusal::StateMismatch => "sign-in-refused-expired",
        Refusal::ProviderError(_) | Refusal::Oidc(_) | Refusal::NoIdentity(_) => {
            "sign-in-refused-provider"
        }
        Refusal::UnknownPerson(_) => "sign-in-refused-unknown",
        Refusal::Left => "sign-in-refused-left",
        Refusal::App(_) => "error-status-500",
    };
    let key = match refusal {
        Refusal::Oidc(crate::identity::oidc::OidcError::Assurance(_)) => {
            "sign-in-refused-assurance"
        }
        _ => key,
    };
    let page = RefusedPage {
        c: Chrome::public(lang, "sign-in-refused-title", "/console/sign-in"),
        message: lang.t(key),
    };
    Ok((StatusCode::FORBIDDEN, render(&page)?).into_response())
}

/// Signs out of Stilla and, for a sign-in through the identity provider that offers
/// it, out there too (RP-initiated logout), by a page that moves on by itself: a
/// form's redirect to another site would break the console's `form-action 'self'`.
pub async fn sign_out(
    State(state): State<AppState>,
    console: Console,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    sessions::close_session(&state.db, console.session_id).await?;
    let jar = jar.remove(state.site.removal(SESSION_COOKIE));
    let caller = &console.caller;
    if caller.signed_in_with == SignInMethod::IdentityProvider
        && let Some((_, rp)) =
            relying_party(&state.db, &state.identity, &state.site, caller.tenant_id).await?
    {
        let after = state.site.url("/console/sign-in");
        if let Some(to) = state
            .identity
            .oidc
            .logout_url(&rp, console.id_token_hint.as_deref(), &after)
            .await
        {
            let page = MovingOnPage {
                c: Chrome::public(console.lang, "signed-out-title", "/console/sign-in"),
                message: console.lang.t("signed-out-moving-on"),
                to,
            };
            return Ok((jar, render(&page)?).into_response());
        }
    }
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
