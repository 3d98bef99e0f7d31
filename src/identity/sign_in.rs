//! A sign-in through the identity provider, from the organisation's short name to a
//! console session. The browser's way out and back is tied together by a one-use
//! attempt row (`state`, `nonce`, PKCE verifier) found by a cookie only that browser
//! holds; what comes back names a person, who must be an employee Stilla already knows
//! and who still works here. Nobody is ever created by signing in.
use chrono::{DateTime, Duration, Utc};
use entities::{employee, identity_provider, sign_in_attempt, tenant, vocab::IdentityField};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    Identity,
    oidc::{OidcError, VerifiedIdentity},
    settings::relying_party,
};
use crate::{
    audit::{self, Actor},
    auth::{
        Employment, employed_until,
        sessions::{Grants, OpenedSession, SessionPolicy, open_person_session},
        tokens::{generate_secret, hash_secret, same_secret},
    },
    error::AppResult,
    org::employees::find_by_email,
    site::Site,
};

/// How long a browser may take at the provider (signing in with a card included).
const ATTEMPT_LIFETIME: Duration = Duration::minutes(15);

/// A tenant found by its short name, with whether it signs in through a provider.
pub struct Organisation {
    pub tenant: tenant::Model,
    pub has_provider: bool,
}

/// The tenant with this short name (compared in lowercase), and whether its identity
/// provider is set up and on.
pub async fn organisation<C: ConnectionTrait>(
    db: &C,
    slug: &str,
) -> AppResult<Option<Organisation>> {
    let Some(tenant) = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug.trim().to_lowercase()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let has_provider = identity_provider::Entity::find_by_id(tenant.id)
        .one(db)
        .await?
        .is_some_and(|p| p.enabled);
    Ok(Some(Organisation {
        tenant,
        has_provider,
    }))
}

/// Where a started sign-in goes: the provider's URL, and the secret the browser must
/// keep (in a cookie) to come back with.
pub struct Started {
    pub provider_url: String,
    pub browser_secret: String,
}

/// Sends a browser on its way to the tenant's provider.
pub async fn start(
    db: &DatabaseConnection,
    identity: &Identity,
    site: &Site,
    tenant_id: Uuid,
    next: &str,
    now: DateTime<Utc>,
) -> Result<Started, Refusal> {
    let (_, rp) = relying_party(db, identity, site, tenant_id)
        .await?
        .ok_or(Refusal::NoProvider)?;
    let request = identity
        .oidc
        .authorization_request(&rp)
        .await
        .map_err(Refusal::from)?;
    let browser_secret = generate_secret();
    sign_in_attempt::Entity::delete_many()
        .filter(sign_in_attempt::Column::ExpiresAt.lte(now))
        .exec(db)
        .await
        .map_err(crate::error::AppError::from)?;
    sign_in_attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant_id),
        browser_hash: Set(hash_secret(&browser_secret)),
        state: Set(request.state),
        nonce: Set(request.nonce),
        pkce_verifier: Set(request.pkce_verifier),
        next: Set(next.to_owned()),
        created_at: Set(now),
        expires_at: Set(now + ATTEMPT_LIFETIME),
    }
    .insert(db)
    .await
    .map_err(crate::error::AppError::from)?;
    Ok(Started {
        provider_url: request.url,
        browser_secret,
    })
}

/// What the provider sent the browser back with.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// The issuer that answers (RFC 9207), where the provider says: it must be ours,
    /// or the answer may come from another provider mixed in.
    pub iss: Option<String>,
}

/// A sign-in that worked: the session, and the page to land on.
pub struct SignedIn {
    pub opened: OpenedSession,
    pub next: String,
}

/// Why a sign-in through the provider did not open a session. Each is shown to the
/// person as a page that says what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("no organisation has that short name")]
    UnknownOrganisation,
    #[error("the organisation has no identity provider set up")]
    NoProvider,
    #[error("this browser has no sign-in under way (it expired, or was already used)")]
    NoAttempt,
    #[error("the answer does not belong to this browser's sign-in (state)")]
    StateMismatch,
    #[error("the identity provider answered with an error: {0}")]
    ProviderError(String),
    #[error("{0}")]
    Oidc(#[from] OidcError),
    #[error("the ID token has no `{0}` claim to identify the person")]
    NoIdentity(String),
    #[error("the identity provider knows this person, but Stilla has no employee {0}")]
    UnknownPerson(String),
    #[error("this person's employment has ended")]
    Left,
    #[error(transparent)]
    App(#[from] crate::error::AppError),
}

impl Refusal {
    /// A short word for the audit trail and the log.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::UnknownOrganisation => "unknown-organisation",
            Refusal::NoProvider => "no-provider",
            Refusal::NoAttempt => "no-attempt",
            Refusal::StateMismatch => "state-mismatch",
            Refusal::ProviderError(_) => "provider-error",
            Refusal::Oidc(OidcError::Unreachable(_)) => "provider-unreachable",
            Refusal::Oidc(OidcError::Refused(_)) => "code-refused",
            Refusal::Oidc(OidcError::Invalid(_)) => "id-token-invalid",
            Refusal::Oidc(OidcError::Assurance(_)) => "assurance-too-low",
            Refusal::NoIdentity(_) => "no-identity-claim",
            Refusal::UnknownPerson(_) => "unknown-person",
            Refusal::Left => "employment-ended",
            Refusal::App(_) => "internal",
        }
    }
}

/// Finishes a sign-in: the browser's attempt (used up now, whatever follows), its
/// state, the code exchanged and the ID token verified, the person found. Refusals
/// that reach a tenant are recorded in its audit trail.
pub async fn finish(
    db: &DatabaseConnection,
    identity: &Identity,
    site: &Site,
    browser_secret: Option<&str>,
    callback: Callback,
    now: DateTime<Utc>,
    policy: SessionPolicy,
) -> Result<SignedIn, Refusal> {
    let attempt = match browser_secret {
        Some(secret) => take_attempt(db, secret, now).await?,
        None => None,
    };
    let Some(attempt) = attempt else {
        return Err(Refusal::NoAttempt);
    };
    let tenant_id = attempt.tenant_id;
    let outcome = finish_attempt(db, identity, site, attempt, callback, now, policy).await;
    if let Err(refusal) = &outcome
        && !matches!(refusal, Refusal::App(_))
    {
        let actor = Actor {
            tenant_id,
            token_id: None,
            name: "identity provider".to_owned(),
        };
        tracing::info!(
            reason = refusal.code(),
            detail = %refusal,
            "sign-in through the identity provider refused"
        );
        audit::record(
            db,
            &actor,
            "sign-in.refused",
            "tenant",
            tenant_id,
            None,
            Some(&json!({"reason": refusal.code(), "detail": refusal.to_string()})),
        )
        .await?;
    }
    outcome
}

async fn take_attempt(
    db: &DatabaseConnection,
    browser_secret: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<sign_in_attempt::Model>> {
    let hash = hash_secret(browser_secret);
    let found = sign_in_attempt::Entity::find()
        .filter(sign_in_attempt::Column::BrowserHash.eq(&hash))
        .one(db)
        .await?;
    let Some(found) = found else {
        return Ok(None);
    };
    // One use: whoever deletes the row owns the attempt; a second callback (a replayed
    // code, a double click) finds nothing.
    let deleted = sign_in_attempt::Entity::delete_by_id(found.id)
        .exec(db)
        .await?
        .rows_affected;
    Ok((deleted == 1 && found.expires_at > now).then_some(found))
}

async fn finish_attempt(
    db: &DatabaseConnection,
    identity: &Identity,
    site: &Site,
    attempt: sign_in_attempt::Model,
    callback: Callback,
    now: DateTime<Utc>,
    policy: SessionPolicy,
) -> Result<SignedIn, Refusal> {
    let state_matches = callback
        .state
        .as_deref()
        .is_some_and(|state| same_secret(state, &attempt.state));
    if !state_matches {
        return Err(Refusal::StateMismatch);
    }
    if let Some(error) = callback.error {
        let detail = callback.error_description.unwrap_or_default();
        return Err(Refusal::ProviderError(
            format!("{error} {detail}").trim().to_owned(),
        ));
    }
    let code = callback.code.ok_or_else(|| {
        Refusal::ProviderError("the answer carries neither a code nor an error".to_owned())
    })?;
    let (settings, rp) = relying_party(db, identity, site, attempt.tenant_id)
        .await?
        .ok_or(Refusal::NoProvider)?;
    if callback.iss.as_ref().is_some_and(|iss| *iss != rp.issuer) {
        return Err(Refusal::ProviderError(
            "the answer names another issuer than the organisation's provider".to_owned(),
        ));
    }
    let verified = identity
        .oidc
        .finish(&rp, &code, &attempt.pkce_verifier, &attempt.nonce, now)
        .await?;
    let person = find_person(db, &settings, &verified).await?;
    if matches!(
        employed_until(db, attempt.tenant_id, person.id, now).await?,
        Employment::Gone
    ) {
        return Err(Refusal::Left);
    }
    let grants = grants_of(&settings, &verified.claims);
    let opened = open_person_session(
        db,
        attempt.tenant_id,
        person.id,
        grants,
        Some(verified.id_token),
        now,
        policy,
    )
    .await?
    .ok_or(Refusal::Left)?;
    let actor = opened.caller.actor();
    audit::record(
        db,
        &actor,
        "sign-in",
        "employee",
        person.id,
        None,
        Some(&json!({
            "via": "identity_provider",
            "role": opened.caller.role,
            "can_send_urgent": opened.caller.can_send_urgent,
        })),
    )
    .await?;
    Ok(SignedIn {
        opened,
        next: attempt.next,
    })
}

/// The employee the ID token names, by the tenant's chosen claim and field.
async fn find_person(
    db: &DatabaseConnection,
    settings: &identity_provider::Model,
    verified: &VerifiedIdentity,
) -> Result<employee::Model, Refusal> {
    let claim = &settings.identity_claim;
    let value = verified
        .claims
        .get(claim)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Refusal::NoIdentity(claim.clone()))?;
    let found = match settings.identity_matches {
        IdentityField::Email => find_by_email(db, settings.tenant_id, value).await?,
        IdentityField::ExternalId => employee::Entity::find()
            .filter(employee::Column::TenantId.eq(settings.tenant_id))
            .filter(employee::Column::ExternalId.eq(value))
            .one(db)
            .await
            .map_err(crate::error::AppError::from)?,
    };
    found.ok_or_else(|| {
        Refusal::UnknownPerson(match settings.identity_matches {
            IdentityField::Email => format!("with the e-mail address {value}"),
            IdentityField::ExternalId => format!("with the external id {value}"),
        })
    })
}

/// What the token's groups grant: a group claim may be a list or (some providers, for
/// one group) a single string.
fn grants_of(
    settings: &identity_provider::Model,
    claims: &serde_json::Map<String, Value>,
) -> Grants {
    let groups: Vec<&str> = match claims.get(&settings.groups_claim) {
        Some(Value::Array(values)) => values.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(one)) => vec![one.as_str()],
        _ => Vec::new(),
    };
    let listed = |json: &Value| -> bool {
        json.as_array().is_some_and(|wanted| {
            wanted
                .iter()
                .filter_map(Value::as_str)
                .any(|w| groups.contains(&w))
        })
    };
    Grants {
        admin: listed(&settings.admin_groups),
        urgent: listed(&settings.urgent_groups),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> identity_provider::Model {
        identity_provider::Model {
            tenant_id: Uuid::nil(),
            issuer: String::new(),
            client_id: String::new(),
            client_secret_sealed: String::new(),
            identity_claim: "email".to_owned(),
            identity_matches: IdentityField::Email,
            groups_claim: "groups".to_owned(),
            admin_groups: json!(["it-admins"]),
            urgent_groups: json!(["on-call-leads", "it-admins"]),
            required_acr: None,
            enabled: true,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn claims(value: Value) -> serde_json::Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn groups_grant_what_the_settings_list_and_nothing_else() {
        let s = settings();
        let admin = grants_of(&s, &claims(json!({"groups": ["staff", "it-admins"]})));
        assert_eq!(
            admin,
            Grants {
                admin: true,
                urgent: true
            }
        );
        let lead = grants_of(&s, &claims(json!({"groups": "on-call-leads"})));
        assert_eq!(
            lead,
            Grants {
                admin: false,
                urgent: true
            }
        );
        let nurse = grants_of(
            &s,
            &claims(json!({"groups": ["staff"], "roles": ["it-admins"]})),
        );
        assert_eq!(nurse, Grants::default());
        assert_eq!(grants_of(&s, &claims(json!({}))), Grants::default());
    }
}
