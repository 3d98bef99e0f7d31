//! Console sessions: signing in with an API token opens a session that stands for that
//! token, so the console reaches exactly what the token reaches and revoking the token
//! ends its sessions at once. The browser holds a random secret; only its SHA-256 is
//! stored, next to the session's CSRF token.
use chrono::{DateTime, Duration, Utc};
use entities::web_session;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr,
};
use uuid::Uuid;

use super::{
    Caller,
    caller::{caller_by_token_id, find_caller},
    tokens::{generate_secret, hash_secret},
};
use crate::error::AppResult;

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
}

/// Opens a session for the token whose secret was typed in; `None` when no active token
/// has that secret.
pub async fn open_session<C: ConnectionTrait>(
    db: &C,
    token_secret: &str,
    now: DateTime<Utc>,
    policy: SessionPolicy,
) -> AppResult<Option<OpenedSession>> {
    let Some(caller) = find_caller(db, &hash_secret(token_secret.trim()), now).await? else {
        return Ok(None);
    };
    // Housekeeping where it costs nothing extra: this tenant's ended sessions go.
    web_session::Entity::delete_many()
        .filter(web_session::Column::TenantId.eq(caller.tenant_id))
        .filter(web_session::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    let secret = generate_secret();
    web_session::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(caller.tenant_id),
        token_id: Set(caller.token_id),
        secret_hash: Set(hash_secret(&secret)),
        csrf_token: Set(generate_secret()),
        created_at: Set(now),
        expires_at: Set(now + policy.lifetime),
        last_seen_at: Set(Some(now)),
    }
    .insert(db)
    .await?;
    Ok(Some(OpenedSession { secret, caller }))
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
    let Some(caller) = caller_by_token_id(db, session.token_id, now).await? else {
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
