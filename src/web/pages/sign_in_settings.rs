//! How the tenant's people sign in, for an admin: the organisation's short name and
//! whether the console still takes a pasted token, and the identity provider's
//! settings (the same domain operations as `/api/v1/tenant` and
//! `/api/v1/identity-provider`). The client secret is never shown; left empty, the
//! stored one stays.
use askama::Template;
use axum::{
    extract::State,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::Form;
use entities::vocab::IdentityField;
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Chrome,
    list::{by_name, opt},
    render,
};
use crate::{
    app::AppState,
    directory::placement::{self, DirectoryProblems, DirectorySettings, GroupMapping},
    error::AppError,
    identity::settings::{self, CALLBACK_PATH, IdentityProviderInput, IdentityProviderView},
    org::{roles::role_names, units::unit_names},
    tenants::{self, TenantPatch, TenantView},
    web::session::{Console, WebResult},
};

#[derive(Template)]
#[template(path = "sign_in_settings.html")]
struct SettingsPage {
    c: Chrome,
    tenant: TenantView,
    provider: Option<IdentityProviderView>,
    redirect_uri: String,
    matches_external_id: bool,
    /// Sign-in through the provider is on (or, with none set up, will be).
    enabled: bool,
    directory: DirectorySettings,
    problems: DirectoryProblems,
    /// Each mapping as shown: group, what it places, the unit's or role's name.
    mappings: Vec<(usize, String, String, String)>,
    units: Vec<(Uuid, String)>,
    roles: Vec<(Uuid, String)>,
}

pub async fn show(State(state): State<AppState>, console: Console) -> WebResult<Response> {
    let tenant = tenants::get_tenant(&state.db, &console.caller, &state.site).await?;
    let provider =
        match settings::get_identity_provider(&state.db, &console.caller, &state.site).await {
            Ok(view) => Some(view),
            Err(AppError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
    let directory = placement::get_settings(&state.db, &console.caller).await?;
    let problems = placement::problems(&state.db, &console.caller).await?;
    let unit_names = unit_names(&state.db, console.caller.tenant_id).await?;
    let role_names = role_names(&state.db, console.caller.tenant_id).await?;
    let mappings = directory
        .group_mappings
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let target = unit_names
                .get(&m.target_id)
                .or_else(|| role_names.get(&m.target_id))
                .cloned()
                .unwrap_or_default();
            (i, m.group.clone(), m.places.to_string(), target)
        })
        .collect();
    render(&SettingsPage {
        directory,
        problems,
        mappings,
        units: by_name(unit_names.iter()),
        roles: by_name(role_names.iter()),
        c: Chrome::new(&console, "sign-in-settings-title", "nav-sign-in-settings"),
        tenant,
        matches_external_id: provider
            .as_ref()
            .is_some_and(|p| p.identity_matches == IdentityField::ExternalId),
        enabled: provider.as_ref().is_none_or(|p| p.enabled),
        provider,
        redirect_uri: state.site.url(CALLBACK_PATH),
    })
}

#[derive(Deserialize)]
pub struct OrganisationForm {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    console_token_sign_in: Option<String>,
}

pub async fn save_organisation(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<OrganisationForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let patch = TenantPatch {
        name: opt(&form.name),
        slug: opt(&form.slug),
        console_token_sign_in: Some(form.console_token_sign_in.is_some()),
    };
    tenants::update_tenant(&state.db, &console.caller, &state.site, patch).await?;
    Ok(Redirect::to("/console/sign-in-settings").into_response())
}

#[derive(Deserialize)]
pub struct ProviderForm {
    csrf: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    identity_claim: String,
    #[serde(default)]
    identity_matches: String,
    #[serde(default)]
    groups_claim: String,
    #[serde(default)]
    admin_groups: String,
    #[serde(default)]
    urgent_groups: String,
    #[serde(default)]
    required_acr: String,
    #[serde(default)]
    enabled: Option<String>,
}

/// Group values typed one a line (or separated by commas).
fn lines(text: &str) -> Vec<String> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

pub async fn save_provider(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<ProviderForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let identity_matches = match opt(&form.identity_matches) {
        Some(word) => Some(
            <IdentityField as sea_orm::ActiveEnum>::try_from_value(&word)
                .map_err(|_| AppError::invalid("identity_matches", "email or external_id"))?,
        ),
        None => None,
    };
    let input = IdentityProviderInput {
        issuer: form.issuer,
        client_id: form.client_id,
        client_secret: opt(&form.client_secret),
        identity_claim: opt(&form.identity_claim),
        identity_matches,
        groups_claim: opt(&form.groups_claim),
        admin_groups: Some(lines(&form.admin_groups)),
        urgent_groups: Some(lines(&form.urgent_groups)),
        required_acr: opt(&form.required_acr),
        enabled: Some(form.enabled.is_some()),
    };
    settings::put_identity_provider(
        &state.db,
        &console.caller,
        &state.identity,
        &state.site,
        input,
    )
    .await?;
    Ok(Redirect::to("/console/sign-in-settings").into_response())
}

#[derive(Deserialize)]
pub struct DirectoryForm {
    csrf: String,
    #[serde(default)]
    unit_from: String,
    #[serde(default)]
    role_from: String,
    /// A mapping to add: the group, what it places, and the unit or role (by id).
    #[serde(default)]
    group: String,
    #[serde(default)]
    places: String,
    #[serde(default)]
    target_id: String,
    /// The index of a mapping to remove.
    #[serde(default)]
    remove: String,
}

/// Changes the placement rules, adds a group mapping or removes one: the settings as
/// they are, with the form's one change, through the same operation as the API.
pub async fn save_directory(
    State(state): State<AppState>,
    console: Console,
    Form(form): Form<DirectoryForm>,
) -> WebResult<Response> {
    console.check_csrf(&form.csrf)?;
    let mut settings = placement::get_settings(&state.db, &console.caller).await?;
    if let Some(from) = super::list::parse_enum("unit_from", &form.unit_from)? {
        settings.unit_from = from;
    }
    if let Some(from) = super::list::parse_enum("role_from", &form.role_from)? {
        settings.role_from = from;
    }
    if let Some(index) = opt(&form.remove) {
        let index: usize = index
            .parse()
            .map_err(|_| AppError::invalid("remove", "not a mapping"))?;
        if index < settings.group_mappings.len() {
            settings.group_mappings.remove(index);
        }
    }
    if let Some(group) = opt(&form.group) {
        let places = super::list::parse_enum("places", &form.places)?
            .ok_or_else(|| AppError::invalid("places", "choose what the group places"))?;
        let target_id = super::list::parse_id("target_id", &form.target_id)?
            .ok_or_else(|| AppError::invalid("target_id", "choose a unit or role category"))?;
        settings.group_mappings.push(GroupMapping {
            group,
            places,
            target_id,
        });
    }
    placement::put_settings(&state.db, &console.caller, settings).await?;
    Ok(Redirect::to("/console/sign-in-settings#directory").into_response())
}
