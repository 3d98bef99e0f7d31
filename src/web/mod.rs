//! The console: server-rendered pages for IT admins, managers and employees, in
//! Swedish first and English second. Pages work without JavaScript; every rule they
//! apply is the domain's, called the same way the API handlers call it.
mod assets;
mod charts;
mod collate;
mod format;
mod i18n;
mod pages;
mod refused;
mod session;

use axum::{
    Router,
    http::{HeaderValue, header},
    middleware,
    response::{Redirect, Response},
    routing::{get, post},
};

use crate::app::AppState;

pub use i18n::Lang;

/// No inline script or style, nothing from elsewhere, no framing, forms post only here.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'";

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Our own pages learn where a request came from (an error page links back to the
        // form); other sites learn nothing.
        (header::REFERRER_POLICY, "same-origin"),
        (
            header::HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    // Pages hold personal data: never from a shared cache or the back-forward cache of
    // a signed-out browser. Assets set their own long-lived caching.
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

pub fn routes() -> Router<AppState> {
    let console = Router::new()
        .route("/", get(pages::home::home))
        .route(
            "/sign-in",
            get(pages::sign_in::form).post(pages::sign_in::sign_in),
        )
        .route("/sign-in/start", get(pages::sign_in::start))
        .route("/sign-in/callback", get(pages::sign_in::callback))
        .route("/sign-out", post(pages::sign_in::sign_out))
        .route("/language/{lang}", get(pages::sign_in::language))
        .route("/accessibility", get(pages::statement::statement))
        .route("/assets/{file}", get(assets::serve))
        .route("/search", get(pages::search::search))
        .route("/devices", get(pages::devices::list))
        .route("/devices/export", get(pages::devices::export))
        .route(
            "/devices/bulk",
            get(pages::devices::bulk).post(pages::devices::apply_bulk),
        )
        .route("/devices/{id}", get(pages::devices::show))
        .route("/devices/{id}/facts", post(pages::devices::edit_facts))
        .route("/devices/{id}/{action}", post(pages::devices::act))
        .route("/subscriptions", get(pages::subscriptions::list))
        .route("/subscriptions/export", get(pages::subscriptions::export))
        .route("/subscriptions/{id}", get(pages::subscriptions::show))
        .route(
            "/subscriptions/{id}/{action}",
            post(pages::subscriptions::act),
        )
        .route("/reports/{name}", get(pages::reports::show))
        .route(
            "/employees",
            get(pages::people::employees).post(pages::people::create_employee),
        )
        .route("/people/suggest", get(pages::people::suggest))
        .route("/employees/new", get(pages::people::new_employee))
        .route(
            "/employees/{id}",
            get(pages::people::employee).post(pages::people::update_employee),
        )
        .route("/employees/{id}/hand-out", post(pages::people::hand_out))
        .route(
            "/units",
            get(pages::people::units).post(pages::people::create_unit),
        )
        .route("/units/new", get(pages::people::new_unit))
        .route(
            "/units/{id}",
            get(pages::people::unit).post(pages::people::update_unit),
        )
        .route(
            "/tokens",
            get(pages::admin::tokens).post(pages::admin::issue),
        )
        .route("/tokens/{id}/revoke", post(pages::admin::revoke))
        .route("/audit", get(pages::admin::audit_log))
        .route("/sign-in-settings", get(pages::sign_in_settings::show))
        .route(
            "/sign-in-settings/organisation",
            post(pages::sign_in_settings::save_organisation),
        )
        .route(
            "/sign-in-settings/provider",
            post(pages::sign_in_settings::save_provider),
        )
        .route(
            "/sign-in-settings/directory",
            post(pages::sign_in_settings::save_directory),
        )
        .route("/rollout", get(pages::rollout::planner))
        .route("/rollout/profiles", post(pages::rollout::add_profile))
        .route("/rollout/rules", post(pages::rollout::add_rule))
        .route(
            "/rollout/rules/{id}/delete",
            post(pages::rollout::delete_rule),
        )
        .route("/working-time", get(pages::working_time::show))
        .route(
            "/working-time/policy",
            post(pages::working_time::save_policy),
        )
        .route(
            "/working-time/holidays",
            post(pages::working_time::add_holidays),
        )
        .route(
            "/working-time/holidays/add",
            post(pages::working_time::add_holiday),
        )
        .route(
            "/working-time/holidays/remove",
            post(pages::working_time::remove_holiday),
        )
        .route(
            "/working-time/shifts",
            post(pages::working_time::import_shifts),
        )
        .route(
            "/hours/{kind}/{id}",
            get(pages::working_time::hours).post(pages::working_time::save_hours),
        )
        .route(
            "/import",
            get(pages::import::form).post(pages::import::upload),
        )
        .route("/import/template/{kind}", get(pages::import::template))
        .route("/me", get(pages::me::page))
        .route("/me/notices/{id}/ack", post(pages::me::acknowledge))
        .route("/me/focus", post(pages::me::focus))
        .route("/notices", get(pages::notices::list))
        .route(
            "/notices/new",
            get(pages::notices::compose).post(pages::notices::submit),
        )
        .route(
            "/notice-templates",
            get(pages::notices::templates_page).post(pages::notices::create_template),
        )
        .route(
            "/notice-templates/{id}/delete",
            post(pages::notices::delete_template),
        )
        .route("/notices/{id}", get(pages::notices::show))
        .route("/notices/{id}/cancel", post(pages::notices::cancel))
        .fallback(pages::not_found)
        .layer(middleware::from_fn(session::localized_errors))
        .layer(middleware::map_response(security_headers));
    Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .nest("/console", console)
}
