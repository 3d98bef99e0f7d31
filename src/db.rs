//! Opening the database (SQLite or PostgreSQL) and applying migrations.
use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

use crate::error::AppResult;

/// How much of an SQLite database file is read through a memory map (1 GiB).
const SQLITE_MMAP_BYTES: u64 = 1 << 30;

/// Connects with settings that suit each store: SQLite gets WAL, foreign keys and a busy
/// timeout so readers never block the writer and a second process (`bootstrap` beside a
/// running `serve`) waits instead of failing.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    // More connections than twice the cores only add context switches: SQLite's are
    // worker threads, PostgreSQL's are backend processes competing for the same cores
    // (a pool of 4 instead of 16 took PostgreSQL's p99 from 31 to 18 ms, BENCHMARKS.md).
    // Requests beyond that wait in the pool's queue, which is cheaper.
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get) as u32;
    let asked = max_connections;
    let max_connections = asked.min(2 * cores).max(2);
    if max_connections != asked {
        tracing::info!(
            asked,
            used = max_connections,
            cores,
            "database.max_connections adjusted to between 2 and twice the cores"
        );
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        // A ping on every checkout is a whole extra round trip per request (to
        // PostgreSQL, or to an SQLite connection's worker thread). Only a connection idle
        // long enough to have been dropped by a restart, proxy or firewall is pinged.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        if is_in_memory(url) {
            // Each connection to an in-memory database is a database of its own.
            options.max_connections(1);
        }
        options.map_sqlx_sqlite_opts(|opts| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            opts.foreign_keys(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                // A page of 500 rows should not stall the SQLite worker thread on
                // backpressure halfway through (the default buffer is 50 rows).
                .row_buffer_size(512)
                // Read the file through a memory map: a page is then the operating
                // system's cached page itself, shared by every connection, instead of a
                // read() copied into each connection's own 2 MB cache. Lists that jump
                // across a large table (a unit's devices) missed that cache on nearly
                // every row (BENCHMARKS.md). Address space only; memory stays the OS's.
                .pragma("mmap_size", SQLITE_MMAP_BYTES.to_string())
        });
    }
    Database::connect(options).await
}

/// Whether `url` names an in-memory SQLite database, which exists only inside the
/// one connection that opened it.
pub fn is_in_memory(url: &str) -> bool {
    url.starts_with("sqlite:") && (url.contains(":memory:") || url.contains("mode=memory"))
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// The migrations this build has that the database has not run yet, by name.
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    Ok(Migrator::get_pending_migrations(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect())
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so two writers queue on the busy timeout instead of one failing
/// when it upgrades from reading; PostgreSQL ignores the option.
pub async fn begin_write(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Runs `work` in a write transaction ([`begin_write`]) and commits it when `work`
/// succeeds; an error (or a dropped future) rolls everything back. Domain operations
/// own their transaction through this.
pub async fn write<T>(
    db: &DatabaseConnection,
    work: impl AsyncFnOnce(&sea_orm::DatabaseTransaction) -> AppResult<T>,
) -> AppResult<T> {
    let txn = begin_write(db).await?;
    let done = work(&txn).await?;
    txn.commit().await?;
    Ok(done)
}

/// A checked write: refuses a caller the permissions table does not let change
/// `resource` (403), then runs `work` as [`write`] does, with the caller as the audit
/// trail's actor.
pub async fn write_as<T>(
    db: &DatabaseConnection,
    caller: &crate::auth::Caller,
    resource: crate::auth::Resource,
    work: impl AsyncFnOnce(&sea_orm::DatabaseTransaction, &crate::audit::Actor) -> AppResult<T>,
) -> AppResult<T> {
    caller.may(resource, crate::auth::Access::Write)?;
    let actor = caller.actor();
    write(db, async |txn| work(txn, &actor).await).await
}

/// `lower(column) = lower(value)`: text compared without regard to case (e-mail
/// addresses, SCIM user and group names), in the form the `lower(...)` indexes serve.
pub fn same_text<T: sea_orm::ColumnTrait>(
    column: T,
    value: &str,
) -> sea_orm::sea_query::SimpleExpr {
    sea_orm::sea_query::ExprTrait::eq(
        sea_orm::sea_query::Func::lower(sea_orm::sea_query::Expr::col(column)),
        value.trim().to_lowercase(),
    )
}
