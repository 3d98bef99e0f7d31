//! Who is calling ([`Caller`]), and the request extractor that turns `Authorization:
//! Bearer <token>` into one. A console session makes one too: from its token, or from
//! the person the identity provider vouched for.
use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};
use chrono::{DateTime, NaiveDate, Utc};
use entities::{api_token, employee, vocab::SignInMethod};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use uuid::Uuid;

use super::{Authenticator, UnitScope, subtree_of, tokens};
use crate::{
    audit::Actor,
    error::{AppError, AppResult},
};

pub use entities::vocab::AccessRole;

/// The authenticated caller of one request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub tenant_id: Uuid,
    /// Who acts, as one id: the API token's, or — signed in through the identity
    /// provider — the employee's. A notice's sender, and the request budget, are kept
    /// by it (a person's notices are theirs across sign-ins).
    pub principal_id: Uuid,
    pub signed_in_with: SignInMethod,
    /// The token's name, or the person's name and e-mail: what the audit trail shows.
    pub name: String,
    pub role: AccessRole,
    pub employee_id: Option<Uuid>,
    pub unit_ids: Vec<Uuid>,
    pub can_send_urgent: bool,
    /// When the credential stops working by itself: the token's expiry, or the end of
    /// its person's employment, whichever comes first. A cached caller is not used
    /// past it.
    pub valid_until: Option<DateTime<Utc>>,
    /// The units this caller may see, worked out at most once: every operation of a
    /// request asks for it, and a manager's costs a query of the unit tree. Empty in a
    /// cached caller (filled only in the copy a request works with), so a moved unit
    /// counts from the next request on.
    pub scope: ScopeMemo,
}

/// A caller's unit scope, once it has been worked out (see [`Caller::scope`]).
#[derive(Clone, Debug, Default)]
pub struct ScopeMemo(tokio::sync::OnceCell<UnitScope>);

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor {
            tenant_id: self.tenant_id,
            token_id: (self.signed_in_with == SignInMethod::Token).then_some(self.principal_id),
            name: self.name.clone(),
        }
    }

    /// The token's id, when a token is what this caller signed in with.
    pub fn token_id(&self) -> Option<Uuid> {
        (self.signed_in_with == SignInMethod::Token).then_some(self.principal_id)
    }

    /// An admin of `tenant_id`, for the library's own tests.
    #[cfg(test)]
    pub fn test_admin(tenant_id: Uuid) -> Caller {
        Caller {
            tenant_id,
            principal_id: Uuid::nil(),
            signed_in_with: SignInMethod::Token,
            name: "test".to_owned(),
            role: AccessRole::Admin,
            employee_id: None,
            unit_ids: Vec::new(),
            can_send_urgent: true,
            valid_until: None,
            scope: ScopeMemo::default(),
        }
    }

    /// A manager's one unit, when the token names exactly one: their lists start there.
    pub fn home_unit(&self) -> Option<Uuid> {
        match (self.role, self.unit_ids.as_slice()) {
            (AccessRole::Manager, [unit]) => Some(*unit),
            _ => None,
        }
    }

    /// The employee this token speaks for, for `/me` routes.
    pub fn own_employee_id(&self) -> AppResult<Uuid> {
        self.employee_id
            .ok_or(AppError::NotFound("employee for this token"))
    }

    /// The units whose people and inventory this caller may read.
    pub async fn unit_scope<C: sea_orm::ConnectionTrait>(&self, db: &C) -> AppResult<UnitScope> {
        let scope = self
            .scope
            .0
            .get_or_try_init(async || -> AppResult<UnitScope> {
                Ok(match self.role {
                    AccessRole::Admin => UnitScope::Tenant,
                    AccessRole::Manager => {
                        UnitScope::Units(subtree_of(db, self.tenant_id, &self.unit_ids).await?)
                    }
                    AccessRole::Employee | AccessRole::Scim => {
                        UnitScope::Units(std::collections::HashSet::default())
                    }
                })
            })
            .await?;
        Ok(scope.clone())
    }
}

/// The caller behind a usable token's secret hash.
pub(super) async fn find_caller<C: sea_orm::ConnectionTrait>(
    db: &C,
    secret_hash: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<Caller>> {
    let token = api_token::Entity::find()
        .filter(api_token::Column::SecretHash.eq(secret_hash))
        .one(db)
        .await?;
    usable(db, token, now).await
}

/// The caller behind a usable token's id (a console session's token).
pub(super) async fn caller_by_token_id<C: sea_orm::ConnectionTrait>(
    db: &C,
    token_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Option<Caller>> {
    let token = api_token::Entity::find_by_id(token_id).one(db).await?;
    usable(db, token, now).await
}

/// A token works while it is not revoked, not past its expiry, and — when it speaks
/// for an employee — while that person's employment has not ended (the day after
/// `employment_ends_on`): a person who has left loses every credential at once.
async fn usable<C: sea_orm::ConnectionTrait>(
    db: &C,
    token: Option<api_token::Model>,
    now: DateTime<Utc>,
) -> AppResult<Option<Caller>> {
    let Some(token) = token else {
        return Ok(None);
    };
    if token.revoked_at.is_some() || token.expires_at.is_some_and(|at| at <= now) {
        return Ok(None);
    }
    let mut valid_until = token.expires_at;
    if let Some(employee_id) = token.employee_id {
        match employed_until(db, token.tenant_id, employee_id, now).await? {
            Employment::Gone => return Ok(None),
            Employment::Until(ended_at) => {
                valid_until = Some(valid_until.map_or(ended_at, |at| at.min(ended_at)));
            }
            Employment::Open => {}
        }
    }
    Ok(Some(caller_of(token, valid_until)))
}

/// Whether a person still works here, and until when.
pub(crate) enum Employment {
    /// Not an employee of the tenant, or their employment has ended.
    Gone,
    /// Employed until this instant (the day after their last day).
    Until(DateTime<Utc>),
    /// Employed with no end set.
    Open,
}

pub(crate) async fn employed_until<C: sea_orm::ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    employee_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Employment> {
    let found = employee::Entity::find_by_id(employee_id)
        .filter(employee::Column::TenantId.eq(tenant_id))
        .select_only()
        .columns([employee::Column::EmploymentEndsOn, employee::Column::LeftAt])
        .into_tuple::<(Option<NaiveDate>, Option<DateTime<Utc>>)>()
        .one(db)
        .await?;
    Ok(match found {
        Some((ends_on, left_at)) => employment(ends_on, left_at, now),
        None => Employment::Gone,
    })
}

/// Where a person's employment stands at `now`, from their last day and when the
/// directory said they left. Leaving ends everything at once, not at midnight.
pub(crate) fn employment(
    ends_on: Option<NaiveDate>,
    left_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Employment {
    let ended_at = match (ends_on.map(employment_ended_at), left_at) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    match ended_at {
        Some(at) if at <= now => Employment::Gone,
        Some(at) => Employment::Until(at),
        None => Employment::Open,
    }
}

/// The instant a person's employment has ended: the start of the day after their last
/// day (UTC, the way every stored instant is kept).
fn employment_ended_at(last_day: NaiveDate) -> DateTime<Utc> {
    last_day
        .succ_opt()
        .unwrap_or(last_day)
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
}

/// The caller a token stands for.
fn caller_of(token: api_token::Model, valid_until: Option<DateTime<Utc>>) -> Caller {
    Caller {
        valid_until,
        tenant_id: token.tenant_id,
        principal_id: token.id,
        signed_in_with: SignInMethod::Token,
        unit_ids: tokens::unit_ids_of(&token),
        role: token.role,
        name: token.name,
        employee_id: token.employee_id,
        can_send_urgent: token.can_send_urgent,
        scope: ScopeMemo::default(),
    }
}

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    Authenticator: FromRef<S>,
{
    type Rejection = AppError;

    /// Authenticates the bearer token: a client that failed too often of late is refused
    /// before its token is looked at, each failure counts against it, and each request
    /// spends one of the token's budget.
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let authenticator = Authenticator::from_ref(state);
        let state = authenticator.parts();
        let client = crate::limits::client_of(parts, &state.limits);
        let secret = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let Some(secret) = secret else {
            state.limits.refuse_if_blocked(&client)?;
            return Err(state.limits.failed_auth(&client));
        };
        // The secret's prefix is a key of its own only once something is blocked or fails:
        // the common request makes no copy of it.
        if state.limits.anyone_blocked() {
            state
                .limits
                .refuse_if_blocked(&client.with_secret(secret))?;
        }
        let secret_hash = tokens::hash_secret(secret);
        let now = state.clock.now();
        let cached = state
            .tokens
            .get(&secret_hash)
            .filter(|c| c.valid_until.is_none_or(|until| until > now));
        let caller = if let Some(caller) = cached {
            caller
        } else {
            let Some(caller) = find_caller(&state.db, &secret_hash, now).await? else {
                return Err(state.limits.failed_auth(&client.with_secret(secret)));
            };
            state.tokens.put(secret_hash, caller.clone());
            caller
        };
        state.limits.spend(caller.principal_id)?;
        crate::security_events::CallerSlot::fill(&parts.extensions, &caller);
        Ok(caller)
    }
}
