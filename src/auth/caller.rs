//! The request extractor that turns `Authorization: Bearer <token>` into a [`Caller`].
use axum::{extract::FromRequestParts, http::request::Parts};
use entities::api_token;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{UnitScope, subtree_of, tokens};
use crate::{
    app::AppState,
    audit::Actor,
    error::{AppError, AppResult},
};

/// What a token may do. Admin: everything in its tenant. Manager: read the people and
/// inventory of its units (with subtrees) and send them notices. Employee: `/me` only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccessRole {
    Admin,
    Manager,
    Employee,
}

impl AccessRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessRole::Admin => "admin",
            AccessRole::Manager => "manager",
            AccessRole::Employee => "employee",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(AccessRole::Admin),
            "manager" => Some(AccessRole::Manager),
            "employee" => Some(AccessRole::Employee),
            _ => None,
        }
    }
}

/// The authenticated caller of one request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub tenant_id: Uuid,
    pub token_id: Uuid,
    pub token_name: String,
    pub role: AccessRole,
    pub employee_id: Option<Uuid>,
    pub unit_ids: Vec<Uuid>,
    pub can_send_urgent: bool,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor {
            tenant_id: self.tenant_id,
            token_id: Some(self.token_id),
            name: self.token_name.clone(),
        }
    }

    pub fn require_admin(&self) -> AppResult<()> {
        match self.role {
            AccessRole::Admin => Ok(()),
            _ => Err(AppError::Forbidden("this needs an admin token".to_owned())),
        }
    }

    /// Admins and managers may read the organisation and inventory (managers only their
    /// own units); employees may not.
    pub fn require_reader(&self) -> AppResult<()> {
        match self.role {
            AccessRole::Admin | AccessRole::Manager => Ok(()),
            AccessRole::Employee => Err(AppError::Forbidden(
                "an employee token reaches only /api/v1/me".to_owned(),
            )),
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
        match self.role {
            AccessRole::Admin => Ok(UnitScope::Tenant),
            AccessRole::Manager => Ok(UnitScope::Units(
                subtree_of(db, self.tenant_id, &self.unit_ids).await?,
            )),
            AccessRole::Employee => Ok(UnitScope::Units(Default::default())),
        }
    }
}

/// The caller behind an unrevoked token's secret hash.
pub(super) async fn find_caller<C: sea_orm::ConnectionTrait>(
    db: &C,
    secret_hash: &str,
) -> AppResult<Option<Caller>> {
    let token = api_token::Entity::find()
        .filter(api_token::Column::SecretHash.eq(secret_hash))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?;
    Ok(token.and_then(caller_of))
}

/// The caller a token stands for (`None` for a role this build does not know).
pub(super) fn caller_of(token: api_token::Model) -> Option<Caller> {
    Some(Caller {
        tenant_id: token.tenant_id,
        token_id: token.id,
        unit_ids: tokens::unit_ids_of(&token),
        role: AccessRole::parse(&token.role)?,
        token_name: token.name,
        employee_id: token.employee_id,
        can_send_urgent: token.can_send_urgent,
    })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let secret = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(AppError::Unauthorized)?;
        let secret_hash = tokens::hash_secret(secret);
        if let Some(caller) = state.tokens.get(&secret_hash) {
            return Ok(caller);
        }
        let caller = find_caller(&state.db, &secret_hash)
            .await?
            .ok_or(AppError::Unauthorized)?;
        state.tokens.put(secret_hash, caller.clone());
        Ok(caller)
    }
}
