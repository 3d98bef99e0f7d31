//! Console sessions. Signing in with an API token opens a session that stands for that
//! token, so the console reaches exactly what the token reaches and revoking the token
//! ends its sessions at once. Signing in through the identity provider opens one that
//! stands for the person: their role is worked out on every request (admin by the
//! provider's groups at sign-in, manager of the units that name them, else employee),
//! and it ends the moment their employment does. The browser holds a random secret;
//! only its SHA-256 is stored, next to the session's CSRF token.
use chrono::{DateTime, Duration, Utc};
use entities::{employee, tenant, vocab::SignInMethod, web_session};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
    sea_query::Expr,
};
use uuid::Uuid;

use super::{
    AccessRole, Caller, ScopeMemo,
    caller::{Employment, caller_by_token_id, employment, find_caller},
    tokens::{generate_secret, hash_secret},
};
use crate::{error::AppResult, org::managers::units_managed_by};

/// How long a console session lasts: it ends after `idle` without a request, and
/// `lifetime` after sign-in whatever happens (`[console]` in the configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub lifetime: Duration,
}

/// The defaults of `config/default.toml`.
impl Default for SessionPolicy {
    fn default() -> Self {
        crate::config::Config::default().console.session_policy()
    }
}

/// A session's last use is written at most this often: a page view is a read, and the
/// idle timeout needs no finer clock than this.
const SEEN_GRANULARITY: Duration = Duration::minutes(1);

/// A session just opened: the cookie's secret (give it to the browser, keep nothing
/// else of it) and who signed in.
pub struct OpenedSession {
    pub secret: String,
    pub caller: Caller,
}

/// A signed-in browser's session.
#[derive(Clone, Debug)]
pub struct Session {
    pub id: Uuid,
    pub caller: Caller,
    pub csrf_token: String,
    /// For a session opened through the identity provider: the ID token, to sign out
    /// there too.
    pub id_token_hint: Option<String>,
}

/// What typing a token's secret into the console came to.
pub enum TokenSignIn {
    Opened(OpenedSession),
    /// No usable token has that secret.
    NoSuchToken,
    /// The token is good, but its tenant signs in to the console through its identity
    /// provider only.
    TurnedOff {
        caller: Caller,
    },
}

/// Opens a session for the token whose secret was typed in.
pub async fn open_session<C: ConnectionTrait>(
    db: &C,
    token_secret: &str,
    now: DateTime<Utc>,
    policy: SessionPolicy,
) -> AppResult<TokenSignIn> {
    let found = find_caller(db, &hash_secret(token_secret.trim()), now).await?;
    // The directory's provisioning token reaches /scim/v2 and nothing else.
    let Some(caller) = found.filter(|c| c.role != AccessRole::Scim) else {
        return Ok(TokenSignIn::NoSuchToken);
    };
    let allowed = tenant::Entity::find_by_id(caller.tenant_id)
        .one(db)
        .await?
        .is_some_and(|t| t.console_token_sign_in);
    if !allowed {
        return Ok(TokenSignIn::TurnedOff { caller });
    }
    let secret = insert_session(
        db,
        web_session::ActiveModel {
            tenant_id: Set(caller.tenant_id),
            signed_in_with: Set(SignInMethod::Token),
            token_id: Set(Some(caller.principal_id)),
            ..Default::default()
        },
        now,
        policy,
    )
    .await?;
    Ok(TokenSignIn::Opened(OpenedSession { secret, caller }))
}

/// What the identity provider's groups granted a person at sign-in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    pub admin: bool,
    pub urgent: bool,
}

/// Opens a session for an employee the identity provider vouched for; `None` if they
/// are not (or no longer) employed in the tenant.
pub async fn open_person_session<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    employee_id: Uuid,
    grants: Grants,
    id_token: Option<String>,
    now: DateTime<Utc>,
    policy: SessionPolicy,
) -> AppResult<Option<OpenedSession>> {
    let row = web_session::ActiveModel {
        tenant_id: Set(tenant_id),
        signed_in_with: Set(SignInMethod::IdentityProvider),
        employee_id: Set(Some(employee_id)),
        is_admin: Set(grants.admin),
        can_send_urgent: Set(grants.urgent),
        id_token_hint: Set(id_token),
        ..Default::default()
    };
    let Some(caller) = person_caller(db, tenant_id, employee_id, grants, now).await? else {
        return Ok(None);
    };
    let secret = insert_session(db, row, now, policy).await?;
    Ok(Some(OpenedSession { secret, caller }))
}

/// Writes a new session (the rest of `row` filled in) and returns the cookie's secret.
/// Housekeeping where it costs nothing extra: the tenant's ended sessions go.
async fn insert_session<C: ConnectionTrait>(
    db: &C,
    mut row: web_session::ActiveModel,
    now: DateTime<Utc>,
    policy: SessionPolicy,
) -> AppResult<String> {
    let tenant_id = row.tenant_id.clone().unwrap();
    web_session::Entity::delete_many()
        .filter(web_session::Column::TenantId.eq(tenant_id))
        .filter(web_session::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    let secret = generate_secret();
    row.id = Set(Uuid::now_v7());
    row.secret_hash = Set(hash_secret(&secret));
    row.csrf_token = Set(generate_secret());
    row.created_at = Set(now);
    row.expires_at = Set(now + policy.lifetime);
    row.last_seen_at = Set(Some(now));
    for unset in [&mut row.is_admin, &mut row.can_send_urgent] {
        if unset.is_not_set() {
            *unset = Set(false);
        }
    }
    for unset in [&mut row.token_id, &mut row.employee_id] {
        if unset.is_not_set() {
            *unset = Set(None);
        }
    }
    if row.id_token_hint.is_not_set() {
        row.id_token_hint = Set(None);
    }
    row.insert(db).await?;
    Ok(secret)
}

/// The caller a person's session stands for right now: employed, with the units that
/// name them as manager.
async fn person_caller<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    employee_id: Uuid,
    grants: Grants,
    now: DateTime<Utc>,
) -> AppResult<Option<Caller>> {
    // One query for who they are and whether they still work here: this runs on every
    // console request of a person signed in through the identity provider.
    let Some((name, email, ends_on, left_at)) = employee::Entity::find_by_id(employee_id)
        .filter(employee::Column::TenantId.eq(tenant_id))
        .select_only()
        .columns([
            employee::Column::Name,
            employee::Column::Email,
            employee::Column::EmploymentEndsOn,
            employee::Column::LeftAt,
        ])
        .into_tuple::<(
            String,
            String,
            Option<chrono::NaiveDate>,
            Option<DateTime<Utc>>,
        )>()
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let valid_until = match employment(ends_on, left_at, now) {
        Employment::Gone => return Ok(None),
        Employment::Until(at) => Some(at),
        Employment::Open => None,
    };
    let unit_ids = units_managed_by(db, tenant_id, employee_id).await?;
    let role = if grants.admin {
        AccessRole::Admin
    } else if unit_ids.is_empty() {
        AccessRole::Employee
    } else {
        AccessRole::Manager
    };
    Ok(Some(Caller {
        tenant_id,
        principal_id: employee_id,
        signed_in_with: SignInMethod::IdentityProvider,
        name: format!("{name} <{email}>"),
        role,
        employee_id: Some(employee_id),
        unit_ids,
        can_send_urgent: grants.admin || grants.urgent,
        valid_until,
        scope: ScopeMemo::default(),
    }))
}

/// The live session behind a cookie's secret: within its lifetime, used within its idle
/// timeout, its token still usable. Its last use is noted as it goes.
pub async fn find_session<C: ConnectionTrait>(
    db: &C,
    secret: &str,
    now: DateTime<Utc>,
    policy: SessionPolicy,
) -> AppResult<Option<Session>> {
    let Some(session) = web_session::Entity::find()
        .filter(web_session::Column::SecretHash.eq(hash_secret(secret)))
        .filter(web_session::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let last_seen = session.last_seen_at.unwrap_or(session.created_at);
    if last_seen + policy.idle <= now {
        close_session(db, session.id).await?;
        return Ok(None);
    }
    let caller = match (
        session.signed_in_with,
        session.token_id,
        session.employee_id,
    ) {
        (SignInMethod::Token, Some(token_id), _) => caller_by_token_id(db, token_id, now).await?,
        (SignInMethod::IdentityProvider, _, Some(employee_id)) => {
            let grants = Grants {
                admin: session.is_admin,
                urgent: session.can_send_urgent,
            };
            person_caller(db, session.tenant_id, employee_id, grants, now).await?
        }
        _ => None,
    };
    let Some(caller) = caller else {
        return Ok(None);
    };
    if now - last_seen >= SEEN_GRANULARITY {
        web_session::Entity::update_many()
            .col_expr(web_session::Column::LastSeenAt, Expr::value(now))
            .filter(web_session::Column::Id.eq(session.id))
            .exec(db)
            .await?;
    }
    Ok(Some(Session {
        id: session.id,
        caller,
        csrf_token: session.csrf_token,
        id_token_hint: session.id_token_hint,
    }))
}

/// Ends the session behind a cookie's secret, if there is one (signing in again).
pub async fn close_session_by_secret<C: ConnectionTrait>(db: &C, secret: &str) -> AppResult<()> {
    web_session::Entity::delete_many()
        .filter(web_session::Column::SecretHash.eq(hash_secret(secret)))
        .exec(db)
        .await?;
    Ok(())
}

/// Signs out: the session is gone for every browser that might hold its cookie.
pub async fn close_session<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<()> {
    web_session::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Ends every session of one person (their employment ended, the directory said they
/// left).
pub async fn close_sessions_of_employee<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    employee_id: Uuid,
) -> AppResult<()> {
    web_session::Entity::delete_many()
        .filter(web_session::Column::TenantId.eq(tenant_id))
        .filter(web_session::Column::EmployeeId.eq(employee_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends the tenant's console sessions opened with a pasted token.
pub async fn close_token_sessions<C: ConnectionTrait>(db: &C, tenant_id: Uuid) -> AppResult<()> {
    web_session::Entity::delete_many()
        .filter(web_session::Column::TenantId.eq(tenant_id))
        .filter(web_session::Column::SignedInWith.eq(SignInMethod::Token))
        .exec(db)
        .await?;
    Ok(())
}
