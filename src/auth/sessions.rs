//! Console sessions: signing in with an API token opens a session that stands for that
//! token, so the console reaches exactly what the token reaches and revoking the token
//! ends its sessions at once. The browser holds a random secret; only its SHA-256 is
//! stored, next to the session's CSRF token.
use chrono::{DateTime, Duration, Utc};
use entities::{api_token, web_session};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{
    Caller,
    caller::{caller_of, find_caller},
    tokens::{generate_secret, hash_secret},
};
use crate::error::AppResult;

/// A session ends this long after sign-in: a working day and then some.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);

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
) -> AppResult<Option<OpenedSession>> {
    let Some(caller) = find_caller(db, &hash_secret(token_secret.trim())).await? else {
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
        expires_at: Set(now + SESSION_LIFETIME),
    }
    .insert(db)
    .await?;
    Ok(Some(OpenedSession { secret, caller }))
}

/// The live session behind a cookie's secret: not expired, its token not revoked.
pub async fn find_session<C: ConnectionTrait>(
    db: &C,
    secret: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<Session>> {
    let Some(session) = web_session::Entity::find()
        .filter(web_session::Column::SecretHash.eq(hash_secret(secret)))
        .filter(web_session::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let token = api_token::Entity::find_by_id(session.token_id)
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?;
    Ok(token.and_then(caller_of).map(|caller| Session {
        id: session.id,
        caller,
        csrf_token: session.csrf_token,
    }))
}

/// Signs out: the session is gone for every browser that might hold its cookie.
pub async fn close_session<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<()> {
    web_session::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}
