//! Keyset pagination: lists are ordered by id (UUIDv7, so by creation time), a page asks
//! for `limit` rows after `cursor`, and the answer's `next_cursor` continues it. Unlike
//! offsets, pages never drift when rows are added while someone pages through.
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, Order, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 500;

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Rows per page: 1 to 500, default 50.
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
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// Fetches one page of `select` ordered by `id_column` (the entity's id, or a column
/// equal to it in a join). Reads one row more than asked to
/// learn whether another page follows, so the last page never points at an empty one.
/// Every row a paged query has, read page by page at the largest page size (exports).
pub async fn all_pages<T, F, Fut>(mut fetch: F) -> AppResult<Vec<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = AppResult<Page<T>>>,
{
    let mut rows = Vec::new();
    let mut cursor = None;
    loop {
        let page = PageParams {
            limit: Some(MAX_LIMIT),
            cursor,
        }
        .request()?;
        let got = fetch(page).await?;
        rows.extend(got.items);
        match got.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(rows),
        }
    }
}

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
    fetch_ordered(db, select, id_column, id_of, page, Order::Asc).await
}

/// [`fetch_page`], each row decoded as `M` (a faster decoding of the same columns).
pub async fn fetch_page_as<M, E, C, K>(
    db: &C,
    select: Select<E>,
    id_column: K,
    id_of: impl Fn(&M) -> Uuid,
    page: PageRequest,
) -> AppResult<Page<M>>
where
    M: FromQueryResult + Send,
    E: EntityTrait,
    C: ConnectionTrait,
    K: ColumnTrait,
{
    fetch_ordered(db, select, id_column, id_of, page, Order::Asc).await
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
    fetch_ordered(db, select, id_column, id_of, page, Order::Desc).await
}

async fn fetch_ordered<M, E, C, K>(
    db: &C,
    select: Select<E>,
    id_column: K,
    id_of: impl Fn(&M) -> Uuid,
    page: PageRequest,
    order: Order,
) -> AppResult<Page<M>>
where
    M: FromQueryResult + Send,
    E: EntityTrait,
    C: ConnectionTrait,
    K: ColumnTrait,
{
    let mut select = select
        .order_by(id_column, order.clone())
        .limit(page.limit + 1);
    if let Some(after) = page.after {
        select = select.filter(match order {
            Order::Desc => id_column.lt(after),
            _ => id_column.gt(after),
        });
    }
    let mut items = select.into_model::<M>().all(db).await?;
    let next_cursor = if items.len() as u64 > page.limit {
        items.truncate(page.limit as usize);
        items.last().map(|m| id_of(m).to_string())
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}
