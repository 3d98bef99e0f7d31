//! Tenants (a region or municipality): their first admin token, and the settings an
//! admin keeps: the name, the short name people type to sign in, and whether the
//! console still takes a pasted token.
use chrono::Utc;
use entities::{identity_provider, tenant};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    audit::{self, Actor},
    auth::{Access, AccessRole, Caller, Resource, sessions::close_token_sessions, tokens},
    db::write_as,
    error::{AppError, AppResult, FieldError},
    site::Site,
    validation::required_text,
};

#[derive(Clone, Debug, Serialize)]
pub struct BootstrappedTenant {
    pub tenant_id: Uuid,
    pub admin_token: String,
}

/// Creates a tenant and an admin token for it, in one transaction.
pub async fn bootstrap_tenant(
    db: &DatabaseConnection,
    name: &str,
) -> AppResult<BootstrappedTenant> {
    // It reads (a free slug) before it writes: take the write lock first (SQLite).
    let txn = crate::db::begin_write(db).await?;
    let tenant = tenant::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.to_owned()),
        slug: Set(free_slug(&txn, name).await?),
        console_token_sign_in: Set(true),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    let actor = Actor {
        tenant_id: tenant.id,
        token_id: None,
        name: "bootstrap".to_owned(),
    };
    let (secret, token) = tokens::insert_token(
        &txn,
        tenant.id,
        tokens::TokenGrant {
            name: "bootstrap admin".to_owned(),
            role: AccessRole::Admin,
            employee_id: None,
            unit_ids: vec![],
            can_send_urgent: true,
            expires_at: None,
        },
    )
    .await?;
    audit::record(
        &txn,
        &actor,
        "create",
        "tenant",
        tenant.id,
        None,
        Some(&serde_json::json!({"name": name})),
    )
    .await?;
    audit::record(
        &txn,
        &actor,
        "create",
        "token",
        token.id,
        None,
        Some(&tokens::TokenView::from(token)),
    )
    .await?;
    txn.commit().await?;
    Ok(BootstrappedTenant {
        tenant_id: tenant.id,
        admin_token: secret,
    })
}

/// On a database with no tenant, creates "Default" and returns its admin token.
pub async fn ensure_default_tenant(
    db: &DatabaseConnection,
) -> AppResult<Option<BootstrappedTenant>> {
    if tenant::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    bootstrap_tenant(db, "Default").await.map(Some)
}

/// Lowercase ASCII letters and digits joined by single hyphens (å, ä -> a; ö -> o):
/// "Region Västra Götaland" -> `region-vastra-gotaland`.
pub fn slug_of(name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        let c = match c {
            'å' | 'ä' | 'á' | 'à' => 'a',
            'ö' | 'ø' | 'ó' => 'o',
            'é' | 'è' | 'ë' => 'e',
            'ü' => 'u',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "tenant".to_owned()
    } else {
        slug.chars()
            .take(60)
            .collect::<String>()
            .trim_end_matches('-')
            .to_owned()
    }
}

/// A short name made from `name` that no tenant has yet (`-2`, `-3`, … added).
async fn free_slug<C: ConnectionTrait>(db: &C, name: &str) -> AppResult<String> {
    let base = slug_of(name);
    let mut slug = base.clone();
    let mut n = 2;
    while slug_taken(db, &slug, None).await? {
        slug = format!("{base}-{n}");
        n += 1;
    }
    Ok(slug)
}

async fn slug_taken<C: ConnectionTrait>(db: &C, slug: &str, not: Option<Uuid>) -> AppResult<bool> {
    let mut query = tenant::Entity::find().filter(tenant::Column::Slug.eq(slug));
    if let Some(id) = not {
        query = query.filter(tenant::Column::Id.ne(id));
    }
    Ok(query.count(db).await? > 0)
}

/// A short name is 2 to 60 lowercase letters, digits and single inner hyphens.
fn is_valid_slug(slug: &str) -> bool {
    (2..=60).contains(&slug.len())
        && slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// The tenant's own settings, as an admin sees them.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TenantView {
    pub id: Uuid,
    pub name: String,
    /// The short name people type at the console's sign-in.
    pub slug: String,
    /// Whether the console still takes a pasted API token (the API always does).
    pub console_token_sign_in: bool,
    /// The console's sign-in page for this organisation, to link from the intranet.
    pub sign_in_url: String,
}

impl TenantView {
    fn new(m: tenant::Model, site: &Site) -> Self {
        TenantView {
            sign_in_url: site.url(&format!("/console/sign-in?organisation={}", m.slug)),
            id: m.id,
            name: m.name,
            slug: m.slug,
            console_token_sign_in: m.console_token_sign_in,
        }
    }
}

/// Settings to change; what is left out stays.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantPatch {
    pub name: Option<String>,
    pub slug: Option<String>,
    /// Turning it off ends the console sessions opened with a token at once; it needs
    /// an identity provider that is set up and on.
    pub console_token_sign_in: Option<bool>,
}

pub async fn get_tenant(
    db: &DatabaseConnection,
    caller: &Caller,
    site: &Site,
) -> AppResult<TenantView> {
    caller.may(Resource::SignIn, Access::Read)?;
    let model = tenant::Entity::find_by_id(caller.tenant_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("tenant"))?;
    Ok(TenantView::new(model, site))
}

pub async fn update_tenant(
    db: &DatabaseConnection,
    caller: &Caller,
    site: &Site,
    patch: TenantPatch,
) -> AppResult<TenantView> {
    write_as(db, caller, Resource::SignIn, async |txn, actor| {
        let current = tenant::Entity::find_by_id(actor.tenant_id)
            .one(txn)
            .await?
            .ok_or(AppError::NotFound("tenant"))?;
        let before = TenantView::new(current.clone(), site);
        let mut errors = Vec::new();
        let mut row: tenant::ActiveModel = current.clone().into();
        if let Some(name) = &patch.name {
            row.name = Set(required_text("name", name, 200, &mut errors));
        }
        if let Some(slug) = &patch.slug {
            let slug = slug.trim().to_lowercase();
            if !is_valid_slug(&slug) {
                errors.push(FieldError::new(
                    "slug",
                    "must be 2 to 60 lowercase letters or digits, in parts joined by single hyphens",
                ));
            } else if slug_taken(txn, &slug, Some(current.id)).await? {
                errors.push(FieldError::new("slug", "another organisation has this short name"));
            }
            row.slug = Set(slug);
        }
        let turning_off = patch.console_token_sign_in == Some(false) && current.console_token_sign_in;
        if turning_off {
            let provider_on = identity_provider::Entity::find_by_id(current.id)
                .one(txn)
                .await?
                .is_some_and(|p| p.enabled);
            if !provider_on {
                errors.push(FieldError::new(
                    "console_token_sign_in",
                    "set up and turn on the identity provider first, or no one could sign in",
                ));
            }
        }
        if let Some(on) = patch.console_token_sign_in {
            row.console_token_sign_in = Set(on);
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let view = TenantView::new(row.update(txn).await?, site);
        if turning_off {
            close_token_sessions(txn, actor.tenant_id).await?;
        }
        audit::record(txn, actor, "update", "tenant", view.id, Some(&before), Some(&view)).await?;
        Ok(view)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_made_plain_and_checked() {
        assert_eq!(slug_of("Region Västra Götaland"), "region-vastra-gotaland");
        assert_eq!(slug_of("  Örebro   kommun!! "), "orebro-kommun");
        assert_eq!(slug_of("???"), "tenant");
        assert!(is_valid_slug("vgr"));
        assert!(is_valid_slug("region-skane-2"));
        for bad in ["v", "VGR", "-vgr", "vgr-", "v--g", "vgr skåne", "väst"] {
            assert!(!is_valid_slug(bad), "{bad}");
        }
    }
}
