//! The HTTP API: thin handlers that parse, call one domain function, and render.
mod audit;
mod contracts;
mod devices;
mod employees;
mod extract;
mod health;
mod imports;
mod inbox;
mod me;
mod notice_templates;
mod notices;
mod push_apps;
mod reachability;
mod reports;
mod roles;
mod rollout;
mod scim;
mod sign_in;
mod subscriptions;
mod tokens;
mod units;
mod working_time;

use std::sync::{Arc, OnceLock};

use axum::{Json, Router, response::IntoResponse};
use utoipa::{
    Modify, OpenApi,
    openapi::{
        self, RefOr,
        response::ResponseBuilder,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use extract::{ApiJson, ApiPath, ApiQuery, read_body};

use crate::app::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Stilla",
        description = "Work phones, subscriptions and quiet-hours staff notices for Swedish healthcare regions and municipalities. Errors are RFC 9457 application/problem+json."
    ),
    modifiers(&BearerAuth, &ProblemResponses),
    // The schemas query parameters name (utoipa registers only those of bodies).
    components(schemas(
        crate::error::Problem,
        crate::error::FieldError,
        crate::error::LineError,
        crate::downloads::Format,
        crate::downloads::ReportFormat,
        crate::inventory::lifecycle::DeviceStatus,
        crate::inventory::lifecycle::SubscriptionStatus,
    ))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        doc.security = Some(vec![openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

/// The operations of one path, whatever their method.
fn operations_mut(
    item: &mut openapi::PathItem,
) -> impl Iterator<Item = &mut openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.post,
        &mut item.put,
        &mut item.patch,
        &mut item.delete,
    ]
    .into_iter()
    .flatten()
}

/// Adds the problem+json answers every authenticated route can give, so each handler's
/// annotation lists only its own successes.
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let problem = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/problem+json",
                        openapi::content::ContentBuilder::new()
                            .schema(Some(openapi::Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build(),
            )
        };
        let answers = [
            ("400", "Malformed request"),
            ("401", "No token, or a bad one"),
            ("403", "The token's role may not do this"),
            ("404", "Not found, or not visible to this token"),
            (
                "409",
                "Duplicate, or a lifecycle action the status does not allow",
            ),
            ("422", "Invalid field values; `errors` lists them"),
            (
                "408",
                "The request, its body included, took longer than its time",
            ),
            ("413", "The body is larger than the route takes"),
            (
                "429",
                "Too many failed sign-ins from this client, the token's request budget spent, or too many urgent notices; `Retry-After` says when to try again",
            ),
            (
                "503",
                "Every request slot is busy; `Retry-After` says when to try again",
            ),
        ];
        for (path, item) in &mut doc.paths.paths {
            if !path.starts_with("/api/v1/") || path == "/api/v1/openapi.json" {
                continue;
            }
            for operation in operations_mut(item) {
                for (status, description) in answers {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description));
                }
            }
        }
    }
}

/// Declares the path parameters the handlers' annotations leave out: every path
/// parameter of this API is a record's UUID (`/devices/{id}`), so each `{name}` in a
/// path becomes a required UUID parameter of each of its operations, unless the
/// operation declares it itself. Without this, generated clients and fuzzers could not
/// call any route with an id in it.
struct PathParameters;

impl Modify for PathParameters {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        use openapi::{
            Required,
            path::{ParameterBuilder, ParameterIn},
            schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type},
        };
        for (path, item) in &mut doc.paths.paths {
            let names: Vec<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            for operation in operations_mut(item) {
                let parameters = operation.parameters.get_or_insert_with(Vec::new);
                for name in &names {
                    let declared = parameters.iter().any(|p| {
                        matches!(p, RefOr::T(p) if p.name == *name && p.parameter_in == ParameterIn::Path)
                    });
                    if declared {
                        continue;
                    }
                    let uuid = ObjectBuilder::new()
                        .schema_type(Type::String)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
                    parameters.push(RefOr::T(
                        ParameterBuilder::new()
                            .name(*name)
                            .parameter_in(ParameterIn::Path)
                            .required(Required::True)
                            .description(Some("The record's id"))
                            .schema(Some(uuid))
                            .build(),
                    ));
                }
            }
        }
    }
}

fn api_routes() -> OpenApiRouter<AppState> {
    let v1 = OpenApiRouter::new()
        .merge(tokens::routes())
        .merge(sign_in::routes())
        .merge(push_apps::routes())
        .merge(units::routes())
        .merge(roles::routes())
        .merge(employees::routes())
        .merge(devices::routes())
        .merge(subscriptions::routes())
        .merge(imports::routes())
        .merge(audit::routes())
        .merge(me::routes())
        .merge(working_time::routes())
        .merge(reachability::routes())
        .merge(notices::routes())
        .merge(notice_templates::routes())
        .merge(inbox::routes())
        .merge(rollout::routes())
        .merge(reports::routes())
        .merge(contracts::routes())
        .routes(routes!(openapi_json));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::routes())
        .nest("/api/v1", v1)
}

/// The OpenAPI document, generated from the handlers' annotations once.
pub fn openapi_document() -> Arc<openapi::OpenApi> {
    static DOC: OnceLock<Arc<openapi::OpenApi>> = OnceLock::new();
    DOC.get_or_init(|| {
        let (_, mut doc) = api_routes().split_for_parts();
        ProblemResponses.modify(&mut doc);
        PathParameters.modify(&mut doc);
        Arc::new(doc)
    })
    .clone()
}

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(get, path = "/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
async fn openapi_json() -> impl IntoResponse {
    Json(openapi_document())
}

/// The API's routes (`/api/v1/*` and the probes), without the layers every route shares
/// ([`crate::app`] adds those, and mounts the console beside these).
pub fn routes() -> Router<AppState> {
    let (router, _) = api_routes().split_for_parts();
    // SCIM is its own protocol with its own discovery documents: beside the API, not in
    // its OpenAPI document.
    router.merge(scim::routes())
}
