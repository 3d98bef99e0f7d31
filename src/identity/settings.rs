//! A tenant's identity-provider settings, as an admin reads and writes them. The client
//! secret is sealed before it is stored and never leaves again: a view says only
//! whether one is set, the audit trail only that it changed.
use chrono::{DateTime, Utc};
use entities::{identity_provider, tenant, vocab::IdentityField};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Identity, oidc::RelyingParty};
use crate::{
    audit,
    auth::{Access, Caller, Resource},
    db::write_as,
    error::{AppError, AppResult, FieldError},
    site::Site,
};

/// The path the provider sends browsers back to; register `<public_url>` + this there.
pub const CALLBACK_PATH: &str = "/console/sign-in/callback";
const MAX_GROUPS: usize = 100;

/// The settings an admin sends. A missing `client_secret` keeps the stored one.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityProviderInput {
    /// The issuer URL (`https://login.microsoftonline.com/<tenant>/v2.0`); its
    /// `/.well-known/openid-configuration` must answer.
    pub issuer: String,
    pub client_id: String,
    /// Required the first time; left out, the stored secret stays. Never returned.
    #[schema(value_type = Option<String>, format = Password)]
    pub client_secret: Option<String>,
    /// The ID token claim naming the person: `email` (the default),
    /// `preferred_username`, `sub`, `oid`, or any other claim.
    pub identity_claim: Option<String>,
    /// What the claim is matched with: the employee's `email` (the default) or
    /// `external_id`.
    pub identity_matches: Option<IdentityField>,
    /// The claim that lists groups; default `groups`.
    pub groups_claim: Option<String>,
    /// Group values (Entra ID: group object ids) that make a person an admin.
    pub admin_groups: Option<Vec<String>>,
    /// Group values that allow sending urgent notices.
    pub urgent_groups: Option<Vec<String>>,
    /// An `acr` value the sign-in must carry (a SITHS assurance level, say); null: any.
    pub required_acr: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// The settings as stored, never the secret.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IdentityProviderView {
    pub issuer: String,
    pub client_id: String,
    /// Whether a client secret is stored (it is never shown).
    pub client_secret_set: bool,
    pub identity_claim: String,
    pub identity_matches: IdentityField,
    pub groups_claim: String,
    pub admin_groups: Vec<String>,
    pub urgent_groups: Vec<String>,
    pub required_acr: Option<String>,
    pub enabled: bool,
    /// The redirect URI to register with the provider.
    pub redirect_uri: String,
    pub updated_at: DateTime<Utc>,
}

/// What the audit trail keeps of a change: the settings, and that the secret changed.
#[derive(Serialize)]
struct Audited<'a> {
    #[serde(flatten)]
    view: &'a IdentityProviderView,
    client_secret_changed: bool,
}

fn strings(json: &serde_json::Value) -> Vec<String> {
    serde_json::from_value(json.clone()).unwrap_or_default()
}

impl IdentityProviderView {
    fn new(m: &identity_provider::Model, site: &Site) -> Self {
        IdentityProviderView {
            issuer: m.issuer.clone(),
            client_id: m.client_id.clone(),
            client_secret_set: !m.client_secret_sealed.is_empty(),
            identity_claim: m.identity_claim.clone(),
            identity_matches: m.identity_matches,
            groups_claim: m.groups_claim.clone(),
            admin_groups: strings(&m.admin_groups),
            urgent_groups: strings(&m.urgent_groups),
            required_acr: m.required_acr.clone(),
            enabled: m.enabled,
            redirect_uri: site.url(CALLBACK_PATH),
            updated_at: m.updated_at,
        }
    }
}

/// The purpose a tenant's client secret is sealed for.
pub fn secret_purpose(tenant_id: Uuid) -> String {
    format!("identity_provider.client_secret/{tenant_id}")
}

pub async fn get_identity_provider(
    db: &DatabaseConnection,
    caller: &Caller,
    site: &Site,
) -> AppResult<IdentityProviderView> {
    caller.may(Resource::SignIn, Access::Read)?;
    let model = identity_provider::Entity::find_by_id(caller.tenant_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("identity provider"))?;
    Ok(IdentityProviderView::new(&model, site))
}

/// Creates or replaces the tenant's provider settings, after reading the issuer's
/// discovery document (a wrong issuer is refused now, not at the first sign-in).
pub async fn put_identity_provider(
    db: &DatabaseConnection,
    caller: &Caller,
    identity: &Identity,
    site: &Site,
    input: IdentityProviderInput,
) -> AppResult<IdentityProviderView> {
    caller.may(Resource::SignIn, Access::Write)?;
    let stored = identity_provider::Entity::find_by_id(caller.tenant_id)
        .one(db)
        .await?;
    let checked = check(&input, stored.as_ref())?;
    if let Err(e) = identity.oidc.check_issuer(&checked.issuer).await {
        return Err(AppError::Invalid(vec![FieldError::new(
            "issuer",
            format!("its discovery document could not be read: {e}"),
        )]));
    }
    let tenant_id = caller.tenant_id;
    let sealed = match &input.client_secret {
        Some(secret) => Some(
            identity
                .secrets
                .seal(&secret_purpose(tenant_id), secret.trim())
                .await?,
        ),
        None => None,
    };
    write_as(db, caller, Resource::SignIn, async |txn, actor| {
        let now = Utc::now();
        let before = stored.as_ref().map(|m| IdentityProviderView::new(m, site));
        let mut row = match &stored {
            Some(m) => identity_provider::ActiveModel::from(m.clone()),
            None => identity_provider::ActiveModel {
                tenant_id: Set(tenant_id),
                created_at: Set(now),
                ..Default::default()
            },
        };
        if let Some(sealed) = &sealed {
            row.client_secret_sealed = Set(sealed.clone());
        }
        row.issuer = Set(checked.issuer.clone());
        row.client_id = Set(checked.client_id.clone());
        row.identity_claim = Set(checked.identity_claim.clone());
        row.identity_matches = Set(checked.identity_matches);
        row.groups_claim = Set(checked.groups_claim.clone());
        row.admin_groups = Set(serde_json::json!(checked.admin_groups));
        row.urgent_groups = Set(serde_json::json!(checked.urgent_groups));
        row.required_acr = Set(checked.required_acr.clone());
        row.enabled = Set(checked.enabled);
        row.updated_at = Set(now);
        let model = if stored.is_some() {
            row.update(txn).await?
        } else {
            row.insert(txn).await?
        };
        let view = IdentityProviderView::new(&model, site);
        let after = Audited {
            view: &view,
            client_secret_changed: sealed.is_some(),
        };
        let before = before.as_ref().map(|view| Audited {
            view,
            client_secret_changed: false,
        });
        let action = if stored.is_some() { "update" } else { "create" };
        audit::record(
            txn,
            actor,
            action,
            "identity_provider",
            tenant_id,
            before.as_ref(),
            Some(&after),
        )
        .await?;
        Ok(view)
    })
    .await
}

/// Removes the provider settings; refused while the console takes no pasted token (no
/// one could sign in at all).
pub async fn delete_identity_provider(db: &DatabaseConnection, caller: &Caller) -> AppResult<()> {
    write_as(db, caller, Resource::SignIn, async |txn, actor| {
        let stored = identity_provider::Entity::find_by_id(actor.tenant_id)
            .one(txn)
            .await?
            .ok_or(AppError::NotFound("identity provider"))?;
        let tokens_allowed = tenant::Entity::find_by_id(actor.tenant_id)
            .one(txn)
            .await?
            .is_some_and(|t| t.console_token_sign_in);
        if !tokens_allowed {
            return Err(AppError::Conflict(
                "the console takes no pasted token: turn token sign-in on before removing \
                 the identity provider, or no one can sign in"
                    .to_owned(),
            ));
        }
        identity_provider::Entity::delete_by_id(actor.tenant_id)
            .exec(txn)
            .await?;
        audit::record(
            txn,
            actor,
            "delete",
            "identity_provider",
            actor.tenant_id,
            Some(&serde_json::json!({"issuer": stored.issuer, "client_id": stored.client_id})),
            None,
        )
        .await
    })
    .await
}

/// The settings, checked and with their defaults.
struct Checked {
    issuer: String,
    client_id: String,
    identity_claim: String,
    identity_matches: IdentityField,
    groups_claim: String,
    admin_groups: Vec<String>,
    urgent_groups: Vec<String>,
    required_acr: Option<String>,
    enabled: bool,
}

fn check(
    input: &IdentityProviderInput,
    stored: Option<&identity_provider::Model>,
) -> AppResult<Checked> {
    let mut errors = Vec::new();
    let issuer = input.issuer.trim().to_owned();
    if let Err(why) = check_issuer_url(&issuer) {
        errors.push(FieldError::new("issuer", why));
    }
    let client_id = input.client_id.trim().to_owned();
    if client_id.is_empty() || client_id.len() > 500 {
        errors.push(FieldError::new("client_id", "must be 1 to 500 characters"));
    }
    match input.client_secret.as_deref().map(str::trim) {
        None if stored.is_none() => errors.push(FieldError::new(
            "client_secret",
            "is required when the provider is first set up",
        )),
        Some(s) if s.is_empty() || s.len() > 2000 => {
            errors.push(FieldError::new(
                "client_secret",
                "must be 1 to 2000 characters",
            ));
        }
        _ => {}
    }
    let claim = |field: &str, value: Option<&String>, default: &str, errors: &mut Vec<_>| {
        let value = value.map_or(default, |v| v.trim()).to_owned();
        if value.is_empty()
            || value.len() > 100
            || !value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.:/".contains(c))
        {
            errors.push(FieldError::new(
                field,
                "must be a claim name: 1 to 100 letters, digits or _-.:/",
            ));
        }
        value
    };
    let identity_claim = claim(
        "identity_claim",
        input.identity_claim.as_ref(),
        "email",
        &mut errors,
    );
    let groups_claim = claim(
        "groups_claim",
        input.groups_claim.as_ref(),
        "groups",
        &mut errors,
    );
    let groups = |field: &str, value: Option<&Vec<String>>, errors: &mut Vec<_>| {
        let mut list: Vec<String> = value
            .into_iter()
            .flatten()
            .map(|g| g.trim().to_owned())
            .collect();
        list.sort();
        list.dedup();
        if list.len() > MAX_GROUPS || list.iter().any(|g| g.is_empty() || g.len() > 256) {
            errors.push(FieldError::new(
                field,
                "must list at most 100 group values of 1 to 256 characters",
            ));
        }
        list
    };
    let admin_groups = groups("admin_groups", input.admin_groups.as_ref(), &mut errors);
    let urgent_groups = groups("urgent_groups", input.urgent_groups.as_ref(), &mut errors);
    let required_acr = input
        .required_acr
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned);
    if required_acr.as_ref().is_some_and(|a| a.len() > 500) {
        errors.push(FieldError::new(
            "required_acr",
            "must be at most 500 characters",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(Checked {
        issuer,
        client_id,
        identity_claim,
        identity_matches: input.identity_matches.unwrap_or(IdentityField::Email),
        groups_claim,
        admin_groups,
        urgent_groups,
        required_acr,
        enabled: input.enabled.unwrap_or(true),
    })
}

/// An issuer is an https URL without query or fragment; plain http only on this
/// machine (a test or a local provider), where no one can listen in.
fn check_issuer_url(issuer: &str) -> Result<(), &'static str> {
    let url = reqwest::Url::parse(issuer).map_err(|_| "must be a URL")?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not carry a query or fragment");
    }
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => Ok(()),
        "http" if local => Ok(()),
        _ => Err("must be an https URL"),
    }
}

/// The provider a sign-in uses: the settings with the secret opened; `None` when the
/// tenant has none, or has turned it off.
pub async fn relying_party<C: ConnectionTrait>(
    db: &C,
    identity: &Identity,
    site: &Site,
    tenant_id: Uuid,
) -> AppResult<Option<(identity_provider::Model, RelyingParty)>> {
    let Some(model) = identity_provider::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .filter(|m| m.enabled)
    else {
        return Ok(None);
    };
    let client_secret = identity
        .secrets
        .open(&secret_purpose(tenant_id), &model.client_secret_sealed)
        .await?;
    let rp = RelyingParty {
        issuer: model.issuer.clone(),
        client_id: model.client_id.clone(),
        client_secret,
        redirect_url: site.url(CALLBACK_PATH),
        required_acr: model.required_acr.clone(),
    };
    Ok(Some((model, rp)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issuer_must_be_https_but_on_this_machine() {
        assert!(check_issuer_url("https://login.microsoftonline.com/abc/v2.0").is_ok());
        assert!(check_issuer_url("http://127.0.0.1:4000").is_ok());
        assert!(check_issuer_url("http://idp.region.se").is_err());
        assert!(check_issuer_url("https://idp.region.se/?x=1").is_err());
        assert!(check_issuer_url("idp.region.se").is_err());
    }
}
