//! Lists ordered by what a person sorts on — a name, a serial number — rather than by
//! id. A page continues after the last row's sort values and id, so pages never drift
//! or repeat rows, as with id order, however many rows share a value.
//!
//! Text is compared byte by byte on both stores (`COLLATE "C"` on PostgreSQL, SQLite's
//! default), so both stores give one order and an index serves it (migration 19): a
//! database's own collation would differ between installations and put Å among the A:s.
//! Byte order puts capitals first and Ä before Å; names and serial numbers are written
//! with a capital, and a list's filters narrow it further.
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{
    ConnectionTrait, DbBackend, EntityTrait, IdenStatic, ModelTrait, Order, QueryFilter,
    QueryOrder, QuerySelect, Select,
    sea_query::{Expr, ExprTrait, Value},
};
use uuid::Uuid;

use super::Page;
use crate::error::{AppError, AppResult};

/// The text columns a list is sorted by, in order, before its id.
#[derive(Clone, Debug)]
pub struct SortBy<K> {
    pub columns: Vec<K>,
    pub descending: bool,
}

/// A page of a sorted list: `limit` rows after the row whose sort values and id the
/// cursor holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortedRequest {
    pub limit: u64,
    pub after: Option<(Vec<String>, Uuid)>,
}

impl SortedRequest {
    /// The page after `cursor` (none: the first), for a sort by `width` columns.
    pub fn after(limit: u64, cursor: Option<&str>, width: usize) -> AppResult<Self> {
        let refused = || AppError::invalid("cursor", "not a cursor this list gave out");
        let after = match cursor.filter(|c| !c.is_empty()) {
            None => None,
            Some(cursor) => {
                let json = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| refused())?;
                let (values, id): (Vec<String>, Uuid) =
                    serde_json::from_slice(&json).map_err(|_| refused())?;
                if values.len() != width {
                    return Err(refused());
                }
                Some((values, id))
            }
        };
        Ok(SortedRequest { limit, after })
    }
}

/// The cursor that continues a sorted list after a row with these sort values and id.
pub fn cursor_of(values: &[String], id: Uuid) -> String {
    let json = serde_json::to_vec(&(values, id)).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// One page of `select` in `sort`'s order, then by `id_column` (the entity's id).
pub async fn fetch_sorted_page<E, C>(
    db: &C,
    select: Select<E>,
    sort: &SortBy<E::Column>,
    id_column: E::Column,
    page: &SortedRequest,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let table = E::default().table_name().to_owned();
    let collate = match db.get_database_backend() {
        DbBackend::Postgres => r#" COLLATE "C""#,
        _ => "",
    };
    let text = |column: &E::Column| format!(r#""{table}"."{}"{collate}"#, column.as_str());
    let order = if sort.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    let mut select = select;
    for column in &sort.columns {
        select = select.order_by(Expr::cust(text(column)), order.clone());
    }
    select = select.order_by(id_column, order);
    if let Some((values, id)) = &page.after {
        // One row comparison, `(a, b, id) > (?, ?, ?)`: both stores compare row values
        // column by column, as the order does.
        let mut left: Vec<Expr> = sort.columns.iter().map(|c| Expr::cust(text(c))).collect();
        left.push(Expr::col((E::default(), id_column)));
        let mut right: Vec<Expr> = values.iter().map(|v| Expr::val(v.as_str())).collect();
        right.push(Expr::val(*id));
        let (left, right) = (Expr::tuple(left), Expr::tuple(right));
        select = select.filter(if sort.descending {
            left.lt(right)
        } else {
            left.gt(right)
        });
    }
    let mut fetched = select.limit(page.limit + 1).all(db).await?;
    let next_cursor = if fetched.len() as u64 > page.limit {
        fetched.truncate(usize::try_from(page.limit).unwrap_or(usize::MAX));
        fetched.last().map(|row| {
            let values: Vec<String> = sort.columns.iter().map(|c| text_of(row.get(*c))).collect();
            let id = match row.get(id_column) {
                Value::Uuid(Some(id)) => id,
                _ => Uuid::nil(),
            };
            cursor_of(&values, id)
        })
    } else {
        None
    };
    Ok(Page {
        items: fetched,
        next_cursor,
    })
}

/// A sorted column's value as its cursor keeps it (an empty one as "").
fn text_of(value: Value) -> String {
    match value {
        Value::String(Some(text)) => text,
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_the_row_it_was_made_from() {
        let id = Uuid::now_v7();
        let values = vec!["Apple".to_owned(), "iPhone, 15".to_owned()];
        let cursor = cursor_of(&values, id);
        assert!(!cursor.contains(','), "cursors travel comma-separated");
        let page = SortedRequest::after(50, Some(&cursor), 2).unwrap();
        assert_eq!(page.after, Some((values, id)));
        assert_eq!(SortedRequest::after(50, None, 2).unwrap().after, None);
        // A cursor of another sort, or none this list gave out, is refused.
        assert!(SortedRequest::after(50, Some(&cursor), 1).is_err());
        assert!(SortedRequest::after(50, Some("not-a-cursor"), 2).is_err());
        assert!(SortedRequest::after(50, Some(&id.to_string()), 2).is_err());
    }
}
