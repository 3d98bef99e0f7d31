//! Staff provisioned from the organisation's directory (SCIM 2.0): the directory's own
//! record of each employee (its user name, the resource as last provisioned, the
//! manager, and when the directory said they left), the directory's
//! groups and their members, how a tenant places people (unit by cost centre,
//! department or group; role category by title or group) with its group mappings, and
//! the values the directory sent that Stilla could not place, for an admin to see.
use sea_orm_migration::{
    prelude::*,
    schema::{
        boolean, integer, json_null, pk_uuid, text, text_null, timestamp_with_time_zone,
        timestamp_with_time_zone_null, uuid, uuid_null,
    },
};

use crate::helpers::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            text_null("user_name"),
            json_null("directory_record"),
            uuid_null("manager_id"),
            timestamp_with_time_zone_null("left_at"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("employees")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        // userName is unique in a tenant and looked up without regard to case (RFC 7643
        // §4.1.1): the index is on its lowercase form, which both stores can build.
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_employees_user_name ON employees (tenant_id, lower(user_name))",
        )
        .await?;
        // Entra ID's externalId (the object id) finds a person before they are linked.
        db.execute_unprepared(
            "CREATE INDEX ix_employees_external_id ON employees (tenant_id, external_id)",
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table("directory_groups")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(text("display_name"))
                    .col(text_null("external_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("directory_groups", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_directory_groups_name")
                    .table("directory_groups")
                    .col("tenant_id")
                    .col("display_name")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("directory_group_members")
                    .col(uuid("tenant_id"))
                    .col(uuid("group_id"))
                    .col(uuid("employee_id"))
                    .primary_key(
                        Index::create()
                            .name("pk_directory_group_members")
                            .col("group_id")
                            .col("employee_id"),
                    )
                    .foreign_key(&mut fk("directory_group_members", "tenant_id", "tenants"))
                    .foreign_key(&mut fk(
                        "directory_group_members",
                        "group_id",
                        "directory_groups",
                    ))
                    .foreign_key(&mut fk(
                        "directory_group_members",
                        "employee_id",
                        "employees",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_directory_group_members_employee")
                    .table("directory_group_members")
                    .col("employee_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("directory_settings")
                    .col(pk_uuid("tenant_id"))
                    .col(text("unit_from"))
                    .col(text("role_from"))
                    .col(uuid_null("waiting_unit_id"))
                    .col(uuid_null("waiting_role_id"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("directory_settings", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("directory_group_mappings")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(text("group_name"))
                    .col(text("places"))
                    .col(uuid("target_id"))
                    .foreign_key(&mut fk("directory_group_mappings", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("directory_problems")
                    .col(pk_uuid("id"))
                    .col(uuid("tenant_id"))
                    .col(text("attribute"))
                    .col(text("value"))
                    .col(text_null("user_name"))
                    .col(integer("times"))
                    .col(boolean("resolved"))
                    .col(timestamp_with_time_zone("first_seen_at"))
                    .col(timestamp_with_time_zone("last_seen_at"))
                    .foreign_key(&mut fk("directory_problems", "tenant_id", "tenants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_directory_problems_value")
                    .table("directory_problems")
                    .col("tenant_id")
                    .col("attribute")
                    .col("value")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "directory_problems",
            "directory_group_mappings",
            "directory_settings",
            "directory_group_members",
            "directory_groups",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("ux_employees_user_name")
                    .table("employees")
                    .to_owned(),
            )
            .await?;
        for column in ["user_name", "directory_record", "manager_id", "left_at"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("employees")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
