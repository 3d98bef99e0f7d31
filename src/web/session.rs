//! The console's HTTP side of signing in: the session and language cookies, the
//! extractors that turn them into a [`Console`] (signed in) or a [`Visitor`], CSRF
//! checks, and the error that sends a signed-out browser to the sign-in page.
use std::sync::Arc;

use axum::{
    extract::{FromRequestParts, Request},
    http::{HeaderMap, StatusCode, Uri, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::CookieJar;
use uuid::Uuid;

use super::{i18n::Lang, pages::error_page};
use crate::{
    app::AppState,
    auth::{
        Caller, sessions,
        tokens::{generate_secret, same_secret},
    },
    error::{AppError, Problem},
    site::Site,
};

pub const SESSION_COOKIE: &str = "stilla_session";
/// Before sign-in there is no session to hold a CSRF token; this cookie holds one for
/// the sign-in form (double submit), so no other site can sign a browser in.
pub const SIGN_IN_CSRF_COOKIE: &str = "stilla_signin_csrf";
pub const LANG_COOKIE: &str = "stilla_lang";

/// A signed-in console user: who (the API token's caller), in which language, and the
/// CSRF token every form of theirs must carry.
#[derive(Clone, Debug)]
pub struct Console {
    pub caller: Caller,
    pub lang: Lang,
    pub csrf: String,
    pub session_id: Uuid,
    /// The page asked for, path and query: the language switch comes back to it.
    pub here: String,
    /// Signed in through the identity provider: its ID token, for signing out there.
    pub id_token_hint: Option<String>,
    /// A form of this request the console refused: its page shows why, with what was
    /// typed (see `web::refused`).
    pub refusal: Option<super::refused::Refused>,
}

impl Console {
    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), WebError> {
        if same_secret(sent, &self.csrf) {
            Ok(())
        } else {
            Err(WebError::App(AppError::Forbidden(
                "this form has expired or did not come from this console; reload the page and try again"
                    .to_owned(),
            )))
        }
    }
}

/// A form that carries nothing but its CSRF token (sign out, acknowledge, revoke, …).
#[derive(Debug, serde::Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// Anyone, signed in or not: the language they read.
#[derive(Clone, Copy, Debug)]
pub struct Visitor {
    pub lang: Lang,
}

fn lang_of(jar: &CookieJar, headers: &HeaderMap) -> Lang {
    if let Some(lang) = jar.get(LANG_COOKIE).and_then(|c| Lang::parse(c.value())) {
        return lang;
    }
    // Swedish first; English only for a browser that asks for it before Swedish.
    let accept = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match (accept.find("en"), accept.find("sv")) {
        (Some(en), Some(sv)) if en < sv => Lang::En,
        (Some(_), None) => Lang::En,
        _ => Lang::Sv,
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        Ok(Visitor {
            lang: lang_of(&jar, &parts.headers),
        })
    }
}

impl FromRequestParts<AppState> for Console {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        // The URI as the browser asked for it: inside the nested console router
        // `parts.uri` has lost its `/console` prefix, and the language switch would
        // then come back to the overview instead of this page.
        let uri = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or(&parts.uri, |original| &original.0);
        let here = uri
            .path_and_query()
            .map_or("/console", |p| p.as_str())
            .to_owned();
        let Some(secret) = jar
            .get(&state.site.cookie_name(SESSION_COOKIE))
            .map(|c| c.value().to_owned())
        else {
            return Err(WebError::SignIn { next: here });
        };
        let session = sessions::find_session(&state.db, &secret, state.clock.now(), state.sessions)
            .await
            .map_err(WebError::App)?;
        let Some(session) = session else {
            return Err(WebError::SignIn { next: here });
        };
        state
            .limits
            .spend(session.caller.principal_id)
            .map_err(WebError::App)?;
        crate::security_events::CallerSlot::fill(&parts.extensions, &session.caller);
        Ok(Console {
            caller: session.caller,
            lang: lang_of(&jar, &parts.headers),
            csrf: session.csrf_token,
            session_id: session.id,
            here,
            id_token_hint: session.id_token_hint,
            refusal: None,
        })
    }
}

/// The sign-in form's CSRF token: the cookie's, or a new one (and the cookie to set).
pub fn sign_in_csrf(jar: CookieJar, site: &Site) -> (CookieJar, String) {
    if let Some(token) = jar
        .get(&site.cookie_name(SIGN_IN_CSRF_COOKIE))
        .map(|c| c.value().to_owned())
    {
        return (jar, token);
    }
    let token = generate_secret();
    let jar = jar.add(site.cookie(SIGN_IN_CSRF_COOKIE, token.clone()));
    (jar, token)
}

/// A path inside the console to go back to, or the console's start: never another site.
pub fn local_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/console") && !n.starts_with("//") && !n.contains('\\') => {
            n.to_owned()
        }
        _ => "/console".to_owned(),
    }
}

/// What a console page answers instead of itself.
#[derive(Debug)]
pub enum WebError {
    /// Not signed in (or the session ended): to the sign-in page, then back here.
    SignIn { next: String },
    /// The domain refused, or failed: a page that says why.
    App(AppError),
}

impl From<AppError> for WebError {
    fn from(err: AppError) -> Self {
        WebError::App(err)
    }
}

impl From<sea_orm::DbErr> for WebError {
    fn from(err: sea_orm::DbErr) -> Self {
        WebError::App(err.into())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::SignIn { next } => {
                let query =
                    serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
                Redirect::to(&format!("/console/sign-in?{query}")).into_response()
            }
            WebError::App(err) => {
                let status = err.status();
                let retry_after = err.retry_after();
                let problem = err.into_problem();
                let code = if status == StatusCode::UNAUTHORIZED {
                    StatusCode::FORBIDDEN
                } else {
                    status
                };
                // The page is written by [`localized_errors`], which knows the reader.
                let mut response = code.into_response();
                crate::error::set_retry_after(&mut response, retry_after);
                response.extensions_mut().insert(Failed(Arc::new(problem)));
                response
            }
        }
    }
}

pub type WebResult<T> = Result<T, WebError>;

/// A refusal or failure on its way out, for [`localized_errors`] to write up.
#[derive(Clone, Debug)]
struct Failed(Arc<Problem>);

/// Writes the page of a refused or failed console request in the reader's language,
/// with a link back to the page they came from (their browser sends it only for our own
/// pages: `Referrer-Policy: same-origin`).
pub async fn localized_errors(request: Request, next: Next) -> Response {
    // Only the headers the page needs are kept (cheap clones), and read only on failure.
    let mut asked = HeaderMap::new();
    for name in [header::COOKIE, header::ACCEPT_LANGUAGE, header::REFERER] {
        for value in request.headers().get_all(&name) {
            asked.append(name.clone(), value.clone());
        }
    }
    let mut response = next.run(request).await;
    let Some(Failed(problem)) = response.extensions_mut().remove::<Failed>() else {
        return response;
    };
    let lang = lang_of(&CookieJar::from_headers(&asked), &asked);
    let back = asked
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<Uri>().ok())
        .and_then(|uri| uri.path_and_query().map(|p| p.as_str().to_owned()));
    let page = error_page(&problem, lang, &local_next(back.as_deref()));
    let mut written = (response.status(), page).into_response();
    if let Some(retry_after) = response.headers().get(header::RETRY_AFTER) {
        written
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after.clone());
    }
    written
}
