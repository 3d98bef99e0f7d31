//! Keyset pagination: lists are ordered by id (UUIDv7, so by creation time), a page asks
//! for `limit` rows after `cursor`, and the answer's `next_cursor` continues it. Unlike
//! offsets, pages never drift when rows are added while someone pages through.
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, Order, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub mod sorted;

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 500;

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Rows per page: 1 to 500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A validated page request.
#[derive(Clone, Copy, Debug)]
pub struct PageRequest {
    pub limit: u64,
    pub after: Option<Uuid>,
}

impl PageRequest {
    /// Rows a page reads: one more than asked for, to learn whether another page follows,
    /// so the last page never points at an empty one.
    pub fn rows_to_fetch(&self) -> u64 {
        self.limit + 1
    }
}

/// Whether PostgreSQL plans a paged query on every run or once per connection.
///
/// A page's size is normally a bound value. A plan made without knowing the values
/// (PostgreSQL's generic plan) cannot know how few rows a page needs, so PostgreSQL plans
/// every run for its values instead: for a device page that planning was a third of the
/// database's CPU (BENCHMARKS.md). Written into the SQL, the size is known, and after five
/// runs PostgreSQL keeps one plan for the statement on that connection. SQLite keeps its
/// plans either way (`SQLITE_ENABLE_QPSG`, see `.cargo/config.toml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Planning {
    /// The size is bound: every run is planned for its values.
    EachRun,
    /// The size is written into the SQL: planned once. Only for queries whose best plan is
    /// the same for every value of their filters, as the plan kept is made without them.
    Once,
}

impl PageParams {
    pub fn request(&self) -> AppResult<PageRequest> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AppError::invalid(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(cursor) => Some(
                Uuid::parse_str(cursor)
                    .map_err(|_| AppError::invalid("cursor", "not a cursor this API gave out"))?,
            ),
        };
        Ok(PageRequest { limit, after })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The page of `fetched`, read with [`PageRequest::rows_to_fetch`] in list order.
    pub fn of_fetched(mut fetched: Vec<T>, page: PageRequest, id_of: impl Fn(&T) -> Uuid) -> Self {
        let next_cursor = if fetched.len() as u64 > page.limit {
            fetched.truncate(page.limit as usize);
            fetched.last().map(|item| id_of(item).to_string())
        } else {
            None
        };
        Page {
            items: fetched,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// Every row a paged query has, read page by page at the largest page size (exports).
pub async fn all_pages<T, F, Fut>(mut fetch: F) -> AppResult<Vec<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = AppResult<Page<T>>>,
{
    all_pages_from_cursors(|cursor| {
        let page = PageParams {
            limit: Some(MAX_LIMIT),
            cursor,
        }
        .request();
        let fetched = page.map(&mut fetch);
        async move { fetched?.await }
    })
    .await
}

/// Every row of a paged query, each page asked for by the previous page's cursor
/// (`None` for the first): for lists whose cursors are not ids ([`sorted`]).
pub async fn all_pages_from_cursors<T, F, Fut>(mut fetch: F) -> AppResult<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = AppResult<Page<T>>>,
{
    let mut rows = Vec::new();
    let mut cursor = None;
    loop {
        let got = fetch(cursor).await?;
        rows.extend(got.items);
        match got.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(rows),
        }
    }
}

/// Fetches one page of `select` ordered by `id_column` (the entity's id, or a column
/// equal to it in a join).
pub async fn fetch_page<E, C, K>(
    db: &C,
    select: Select<E>,
    id_column: K,
    id_of: impl Fn(&E::Model) -> Uuid,
    page: PageRequest,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
    K: ColumnTrait,
{
    fetch_page_as(db, select, id_column, id_of, page, Planning::EachRun).await
}

/// [`fetch_page`], each row decoded as `M` (a faster decoding of the same columns), and
/// planned as `planning` says.
pub async fn fetch_page_as<M, E, C, K>(
    db: &C,
    select: Select<E>,
    id_column: K,
    id_of: impl Fn(&M) -> Uuid,
    page: PageRequest,
    planning: Planning,
) -> AppResult<Page<M>>
where
    M: FromQueryResult + Send,
    E: EntityTrait,
    C: ConnectionTrait,
    K: ColumnTrait,
{
    fetch_ordered(db, select, id_column, id_of, page, Order::Asc, planning).await
}

/// [`fetch_page`], newest first: for inboxes and sent notices.
pub async fn fetch_page_newest_first<E, C, K>(
    db: &C,
    select: Select<E>,
    id_column: K,
    id_of: impl Fn(&E::Model) -> Uuid,
    page: PageRequest,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
    K: ColumnTrait,
{
    fetch_ordered(
        db,
        select,
        id_column,
        id_of,
        page,
        Order::Desc,
        Planning::EachRun,
    )
    .await
}

async fn fetch_ordered<M, E, C, K>(
    db: &C,
    select: Select<E>,
    id_column: K,
    id_of: impl Fn(&M) -> Uuid,
    page: PageRequest,
    order: Order,
    planning: Planning,
) -> AppResult<Page<M>>
where
    M: FromQueryResult + Send,
    E: EntityTrait,
    C: ConnectionTrait,
    K: ColumnTrait,
{
    let mut select = select.order_by(id_column, order.clone());
    if let Some(after) = page.after {
        select = select.filter(match order {
            Order::Desc => id_column.lt(after),
            _ => id_column.gt(after),
        });
    }
    let fetched = match planning {
        Planning::EachRun => {
            let select = select.limit(page.rows_to_fetch());
            select.into_model::<M>().all(db).await?
        }
        Planning::Once => {
            // `select` has no LIMIT, OFFSET or locking clause, so LIMIT comes last.
            let mut statement = select.build(db.get_database_backend());
            {
                use std::fmt::Write;
                let _ = write!(statement.sql, " LIMIT {}", page.rows_to_fetch());
            }
            M::find_by_statement(statement).all(db).await?
        }
    };
    Ok(Page::of_fetched(fetched, page, id_of))
}
