//! Signing in through the organisation's identity provider: a short name (`slug`) per
//! tenant to find it by, and a switch for the pasted-token sign-in; the provider's
//! settings; the employees who manage each unit; console sessions that stand for a
//! person rather than a token; and the sign-ins on their way through the provider.
use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{
    prelude::*,
    schema::{
        boolean, json, pk_uuid, text, text_null, timestamp_with_time_zone,
        timestamp_with_time_zone_null, uuid, uuid_null,
    },
};

use crate::helpers::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too (its DDL is transactional): all of it or none,
    /// and on one connection, so the recreated table's indexes never meet another
    /// pooled connection's view of the old ones.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_tenant_slugs(manager).await?;
        manager
            .alter_table(
                Table::alter()
                    .table("tenants")
                    .add_column(boolean("console_token_sign_in").default(true))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("identity_providers")
                    .col(pk_uuid("tenant_id"))
                    .col(text("issuer"))
                    .col(text("client_id"))
                    .col(text("client_secret_sealed"))
                    .col(text("identity_claim"))
                    .col(text("identity_matches"))
                    .col(text("groups_claim"))
                    .col(json("admin_groups"))
                    .col(json("urgent_groups"))
                    .col(text_null("required_acr"))
                    .col(boolean("enabled"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("identity_providers", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("unit_managers")
                    .col(uuid("tenant_id"))
                    .col(uuid("unit_id"))
                    .col(uuid("employee_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(
                        Index::create()
                            .name("pk_unit_managers")
                            .col("unit_id")
                            .col("employee_id"),
                    )
                    .foreign_key(&mut fk("unit_managers", "tenant_id", "tenants"))
                    .foreign_key(&mut fk("unit_managers", "unit_id", "units"))
                    .foreign_key(&mut fk("unit_managers", "employee_id", "employees"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_unit_managers_employee")
                    .table("unit_managers")
                    .col("employee_id")
                    .to_owned(),
            )
            .await?;
        // A session now stands for a token or a person. SQLite cannot loosen a column's
        // NOT NULL in place; sessions are short-lived, so the table is made anew (everyone
        // signed in signs in once more after the upgrade).
        manager
            .drop_table(Table::drop().table("web_sessions").to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("web_sessions")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(text("signed_in_with"))
                    .col(uuid_null("token_id"))
                    .col(uuid_null("employee_id"))
                    .col(boolean("is_admin"))
                    .col(boolean("can_send_urgent"))
                    .col(text_null("id_token_hint"))
                    .col(text("secret_hash"))
                    .col(text("csrf_token"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("last_seen_at"))
                    .foreign_key(&mut fk("web_sessions", "tenant_id", "tenants"))
                    .foreign_key(&mut fk("web_sessions", "token_id", "api_tokens"))
                    .foreign_key(&mut fk("web_sessions", "employee_id", "employees"))
                    .to_owned(),
            )
            .await?;
        for (name, column, unique) in [
            ("ux_web_sessions_secret_hash", "secret_hash", true),
            ("ix_web_sessions_token", "token_id", false),
            ("ix_web_sessions_employee", "employee_id", false),
        ] {
            let mut index = Index::create();
            index.name(name).table("web_sessions").col(column);
            if unique {
                index.unique();
            }
            manager.create_index(index.clone()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("sign_in_attempts")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(text("browser_hash"))
                    .col(text("state"))
                    .col(text("nonce"))
                    .col(text("pkce_verifier"))
                    .col(text("next"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(&mut fk("sign_in_attempts", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_sign_in_attempts_browser")
                    .table("sign_in_attempts")
                    .col("browser_hash")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["sign_in_attempts", "unit_managers", "identity_providers"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table("web_sessions").to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("web_sessions")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(uuid("token_id"))
                    .col(text("secret_hash"))
                    .col(text("csrf_token"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("last_seen_at"))
                    .foreign_key(&mut fk("web_sessions", "tenant_id", "tenants"))
                    .foreign_key(&mut fk("web_sessions", "token_id", "api_tokens"))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ux_tenants_slug")
                    .table("tenants")
                    .to_owned(),
            )
            .await?;
        for column in ["console_token_sign_in", "slug"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("tenants")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// Gives every tenant a unique short name made from its name ("Region Västra Götaland"
/// -> `region-vastra-gotaland`, a second one `-2`), which an admin may change.
async fn add_tenant_slugs(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table("tenants")
                .add_column(text("slug").default(""))
                .to_owned(),
        )
        .await?;
    let db = manager.get_connection();
    let backend = manager.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, name FROM tenants ORDER BY created_at, id",
        ))
        .await?;
    let mut taken = std::collections::HashSet::new();
    for row in rows {
        let id: sea_orm::prelude::Uuid = row.try_get("", "id")?;
        let name: String = row.try_get("", "name")?;
        let base = slug_of(&name);
        let mut slug = base.clone();
        let mut n = 2;
        while !taken.insert(slug.clone()) {
            slug = format!("{base}-{n}");
            n += 1;
        }
        let update = Query::update()
            .table("tenants")
            .value("slug", slug)
            .and_where(Expr::col("id").eq(id))
            .to_owned();
        db.execute(&update).await?;
    }
    manager
        .create_index(
            Index::create()
                .name("ux_tenants_slug")
                .table("tenants")
                .col("slug")
                .unique()
                .to_owned(),
        )
        .await
}

/// Lowercase ASCII letters and digits joined by single hyphens (å, ä -> a; ö -> o).
fn slug_of(name: &str) -> String {
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
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        "tenant".to_owned()
    } else {
        slug
    }
}
