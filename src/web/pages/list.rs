//! What the console's lists share: filters read from the URL (an empty form field is no
//! filter), the column chooser, the view's query string for export and paging links,
//! and the units a filter may offer.
use std::collections::HashMap;

use uuid::Uuid;

use askama::Template;
use axum::response::Response;

use super::{Chrome, render};
use crate::{
    auth::UnitScope,
    downloads::ReportFormat,
    error::AppError,
    pagination::{
        PageParams, PageRequest,
        sorted::{SortBy, SortedRequest},
    },
    reports::table::{Cell, Table},
    web::session::WebResult,
};

/// One filter of a list's form: a search box, or a choice among options.
pub struct Filter {
    pub name: &'static str,
    pub label: String,
    pub hint: Option<String>,
    pub value: String,
    /// `(value, label)`; `None` makes a search box.
    pub options: Option<Vec<(String, String)>>,
}

impl Filter {
    pub fn search(name: &'static str, label: String, hint: Option<String>, value: &str) -> Filter {
        Filter {
            name,
            label,
            hint,
            value: value.to_owned(),
            options: None,
        }
    }

    pub fn choice(
        name: &'static str,
        label: String,
        value: &str,
        options: impl Iterator<Item = (String, String)>,
    ) -> Filter {
        Filter {
            name,
            label,
            hint: None,
            value: value.to_owned(),
            options: Some(options.collect()),
        }
    }

    /// `unit_id`: the units the caller may see, by name.
    pub fn units(
        label: String,
        value: &str,
        names: &HashMap<Uuid, String>,
        scope: &UnitScope,
    ) -> Filter {
        let options = unit_options(names, scope)
            .into_iter()
            .map(|(id, name)| (id.to_string(), name));
        Filter::choice("unit_id", label, value, options)
    }
}

/// One row: its page, and its cells in the chosen columns' order.
pub struct Row {
    pub href: String,
    pub cells: Vec<String>,
}

/// Every list page of the console, drawn by one template.
#[derive(Template)]
#[template(path = "list.html")]
pub struct ListPage {
    pub c: Chrome,
    pub path: &'static str,
    pub filters: Vec<Filter>,
    /// Every column `(name, label)`, and the chosen ones.
    pub all_columns: Vec<(&'static str, String)>,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Row>,
    pub pager: Pager,
    /// How many rows the whole list has, when counted.
    pub total: Option<u64>,
    /// The view's query string, for the export links (none: no export).
    pub export: Option<String>,
    pub caption: String,
    pub empty: String,
    /// A link acting on the whole list (bulk actions): `(href, label)`.
    pub on_all: Option<(String, String)>,
    /// Which columns sort the list, and how it is sorted (none: not sortable).
    pub sorting: Option<Sorting>,
}

impl ListPage {
    pub fn label(&self, column: &str) -> String {
        self.all_columns
            .iter()
            .find(|(name, _)| *name == column)
            .map(|(_, label)| label.clone())
            .unwrap_or_default()
    }

    pub fn render(&self) -> WebResult<Response> {
        render(self)
    }

    /// The link a column's heading sorts by: this column, or the other way round when
    /// the list is already sorted by it.
    pub fn sort_href(&self, column: &str) -> Option<String> {
        let sorting = self.sorting.as_ref()?;
        let column = *sorting.sortable.iter().find(|c| **c == column)?;
        let sort = match sorting.current {
            Some((current, false)) if current == column => format!("-{column}"),
            _ => column.to_owned(),
        };
        let tail = serde_urlencoded::to_string([("sort", sort)]).unwrap_or_default();
        let sep = if sorting.base.is_empty() { "" } else { "&" };
        Some(format!("{}?{}{sep}{tail}", self.path, sorting.base))
    }

    /// `aria-sort` of a column's heading, on the column the list is sorted by.
    pub fn aria_sort(&self, column: &str) -> Option<&'static str> {
        match self.sorting.as_ref()?.current? {
            (current, false) if current == column => Some("ascending"),
            (current, true) if current == column => Some("descending"),
            _ => None,
        }
    }
}

/// Which page of a sortable list to read: sorted by a column, or in the list's own order.
pub enum PageAsked<K> {
    Sorted(SortBy<K>, SortedRequest),
    InOrder(PageRequest),
}

/// The page of `limit` rows from `cursor` in the order `sort` asks for (see [`sort_of`]).
pub fn page_asked<K: Copy>(
    sort: &str,
    sortable: &Sortable<K>,
    limit: u64,
    cursor: Option<String>,
) -> Result<PageAsked<K>, AppError> {
    Ok(match sort_of(sort, None, sortable)?.0 {
        Some(sort) => {
            let page = SortedRequest::after(limit, cursor.as_deref(), sort.columns.len())?;
            PageAsked::Sorted(sort, page)
        }
        None => PageAsked::InOrder(
            PageParams {
                limit: Some(limit),
                cursor,
            }
            .request()?,
        ),
    })
}

/// How a list may be sorted and is: `?sort=column`, or `?sort=-column` the other way.
pub struct Sorting {
    pub sortable: Vec<&'static str>,
    /// The column sorted by and whether it runs backwards (none: the list's own order).
    pub current: Option<(&'static str, bool)>,
    /// The view's query string without its sort, for the headings' links.
    pub base: String,
}

/// The columns a list sorts by: a column's name, and the stored columns it sorts on.
pub type Sortable<K> = [(&'static str, &'static [K])];

/// The sort `value` asks for among `sortable` (`default` when empty; none when neither);
/// anything else is a 422.
pub fn sort_of<K: Copy>(
    value: &str,
    default: Option<&'static str>,
    sortable: &Sortable<K>,
) -> Result<(Option<SortBy<K>>, Sorting), AppError> {
    let value = opt(value).or(default.map(str::to_owned));
    let current = match value.as_deref() {
        None => None,
        Some(value) => {
            let (name, descending) = match value.strip_prefix('-') {
                Some(name) => (name, true),
                None => (value, false),
            };
            let found = sortable
                .iter()
                .find(|(column, _)| *column == name)
                .ok_or_else(|| AppError::invalid("sort", "not a column this list sorts by"))?;
            Some((found, descending))
        }
    };
    let by = current.map(|((_, columns), descending)| SortBy {
        columns: columns.to_vec(),
        descending,
    });
    Ok((
        by,
        Sorting {
            sortable: sortable.iter().map(|(name, _)| *name).collect(),
            current: current.map(|((name, _), descending)| (*name, descending)),
            base: String::new(),
        },
    ))
}

/// `?done=ACTION` after a lifecycle action: the page says it was done.
#[derive(serde::Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// A form field's value, or `None` when it was left empty.
pub fn opt(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// An optional date typed as YYYY-MM-DD.
pub fn date_field(field: &'static str, value: &str) -> Result<Option<chrono::NaiveDate>, AppError> {
    opt(value)
        .map(|d| {
            d.parse::<chrono::NaiveDate>()
                .map_err(|_| AppError::invalid(field, "a date, YYYY-MM-DD"))
        })
        .transpose()
}

/// The tenant's employee a form names by e-mail (`field`), or a 422 on that field.
pub async fn employee_by_email(
    db: &sea_orm::DatabaseConnection,
    tenant_id: Uuid,
    field: &str,
    email: &str,
) -> Result<Uuid, AppError> {
    crate::org::employees::find_by_email(db, tenant_id, email)
        .await?
        .map(|e| e.id)
        .ok_or_else(|| AppError::invalid(field, "no employee has this e-mail address"))
}

/// A field holding one of a stored vocabulary's words (`in_stock`); 422 otherwise.
pub fn parse_enum<E>(field: &str, value: &str) -> Result<Option<E>, AppError>
where
    E: sea_orm::ActiveEnum<Value = String>,
{
    opt(value)
        .map(|v| {
            E::try_from_value(&v).map_err(|_| AppError::invalid(field, "not one of the choices"))
        })
        .transpose()
}

pub fn parse_id(field: &str, value: &str) -> Result<Option<Uuid>, AppError> {
    opt(value)
        .map(|v| v.parse().map_err(|_| AppError::invalid(field, "not an id")))
        .transpose()
}

/// The file a list's export is asked for (`?format=`, CSV when absent); checked before
/// any row is read.
pub fn export_format(format: Option<&str>) -> Result<ReportFormat, AppError> {
    match format.unwrap_or("csv") {
        "csv" => Ok(ReportFormat::Csv),
        "xlsx" => Ok(ReportFormat::Xlsx),
        _ => Err(AppError::invalid("format", "csv or xlsx")),
    }
}

/// A list as its export writes it: the chosen columns under the page's headings.
pub fn list_table(
    c: &Chrome,
    sheet: &'static str,
    columns: &[&str],
    rows: Vec<Vec<Cell>>,
) -> Table {
    Table {
        sheet,
        columns: columns
            .iter()
            .map(|col| std::borrow::Cow::Owned(c.word("col", col)))
            .collect(),
        rows,
    }
}

/// The columns asked for in `cols`, in the list's order; the first `default` when none.
pub fn chosen_columns(all: &[&'static str], default: usize, cols: &[String]) -> Vec<&'static str> {
    let chosen: Vec<&'static str> = all
        .iter()
        .copied()
        .filter(|c| cols.iter().any(|s| s == c))
        .collect();
    if chosen.is_empty() {
        all[..default].to_vec()
    } else {
        chosen
    }
}

/// The view's query string without the page cursor: filters that are set, then columns.
pub fn view_query(filters: &[(&str, &str)], cols: &[String]) -> String {
    let mut pairs: Vec<(&str, &str)> = filters
        .iter()
        .copied()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    pairs.extend(cols.iter().map(|c| ("cols", c.as_str())));
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// The query strings of a sortable view: with its sort (for export and paging links)
/// and without it (for the headings' links, which set their own).
pub fn sorted_view_query(
    filters: &[(&str, &str)],
    sort: &str,
    cols: &[String],
) -> (String, String) {
    let mut all = filters.to_vec();
    all.push(("sort", sort));
    (view_query(&all, cols), view_query(filters, cols))
}

/// Where a list page stands among its pages, and the links around it. The cursors of
/// the pages before it travel in the URL (`back`), so going back needs neither a query
/// running backwards nor anything kept on the server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pager {
    /// 1 for the first page.
    pub number: usize,
    pub first: Option<String>,
    pub previous: Option<String>,
    pub next: Option<String>,
}

/// The cursors kept for going back: the last this many pages.
const PAGES_REMEMBERED: usize = 50;

/// The first page's place in `back` (it has no cursor).
const FIRST: &str = "-";

/// The pager of a page of `path` showing `view`: this page read from `cursor`, after
/// the pages whose cursors `back` lists (oldest first, comma-separated), and the next
/// page's cursor when there is one.
pub fn pager(
    path: &str,
    view: &str,
    cursor: Option<&str>,
    back: Option<&str>,
    next_cursor: Option<String>,
) -> Pager {
    let cursor = cursor.filter(|c| !c.is_empty());
    let mut back: Vec<&str> = back
        .unwrap_or_default()
        .split(',')
        .filter(|c| !c.is_empty())
        .collect();
    if cursor.is_none() {
        back.clear();
    }
    let href = |cursor: Option<&str>, back: &[&str]| {
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(cursor) = cursor.filter(|c| *c != FIRST) {
            query.push(("cursor", cursor.to_owned()));
            if !back.is_empty() {
                query.push(("back", back.join(",")));
            }
        }
        let tail = serde_urlencoded::to_string(&query).unwrap_or_default();
        let sep = if view.is_empty() || tail.is_empty() {
            ""
        } else {
            "&"
        };
        let q = if view.is_empty() && tail.is_empty() {
            ""
        } else {
            "?"
        };
        format!("{path}{q}{view}{sep}{tail}")
    };
    let previous = cursor.map(|_| {
        let (before, earlier) = back.split_last().map_or((FIRST, &[][..]), |(b, e)| (*b, e));
        href(Some(before), earlier)
    });
    let next = next_cursor.map(|next| {
        let mut trail = back.clone();
        trail.push(cursor.unwrap_or(FIRST));
        let keep = trail.len().saturating_sub(PAGES_REMEMBERED);
        href(Some(&next), &trail[keep..])
    });
    Pager {
        // A page read from a cursor is at least the second, even when an old link lost
        // the trail.
        number: back.len() + 1 + usize::from(cursor.is_some() && back.is_empty()),
        first: cursor.map(|_| href(None, &[])),
        previous,
        next,
    }
}

/// Ids and names, by name (for a select's options).
pub fn by_name<'a>(names: impl Iterator<Item = (&'a Uuid, &'a String)>) -> Vec<(Uuid, String)> {
    let mut options: Vec<(Uuid, String)> = names.map(|(id, n)| (*id, n.clone())).collect();
    options.sort_by(|a, b| crate::web::collate::compare(&a.1, &b.1).then(a.0.cmp(&b.0)));
    options
}

/// The units a caller may filter by, by name.
pub fn unit_options(names: &HashMap<Uuid, String>, scope: &UnitScope) -> Vec<(Uuid, String)> {
    by_name(names.iter().filter(|(id, _)| scope.contains(**id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_keeps_set_filters_and_columns_and_pages_on() {
        let cols = vec!["status".to_owned(), "imei".to_owned()];
        let view = view_query(
            &[("q", "iphone 15"), ("status", ""), ("kind", "phone")],
            &cols,
        );
        assert_eq!(view, "q=iphone+15&kind=phone&cols=status&cols=imei");
        let first = pager("/console/devices", &view, None, None, Some("c1".into()));
        assert_eq!(first.number, 1);
        assert_eq!((first.first, first.previous), (None, None));
        assert_eq!(
            first.next.unwrap(),
            "/console/devices?q=iphone+15&kind=phone&cols=status&cols=imei&cursor=c1&back=-"
        );
        assert_eq!(
            pager("/console/devices", "", None, None, Some("c1".into())).next,
            Some("/console/devices?cursor=c1&back=-".to_owned())
        );
        assert_eq!(pager("/x", &view, None, None, None).next, None);
    }

    #[test]
    fn earlier_pages_are_reached_through_the_cursors_carried_back() {
        // Page 3 of a list: read from c2, after page 1 (no cursor) and page 2 (c1).
        let third = pager("/l", "", Some("c2"), Some("-,c1"), Some("c3".into()));
        assert_eq!(third.number, 3);
        assert_eq!(third.previous.as_deref(), Some("/l?cursor=c1&back=-"));
        assert_eq!(third.next.as_deref(), Some("/l?cursor=c3&back=-%2Cc1%2Cc2"));
        assert_eq!(third.first.as_deref(), Some("/l"));
        // Page 2 goes back to the first page, which has no cursor.
        let second = pager("/l", "kind=phone", Some("c1"), Some("-"), None);
        assert_eq!(second.number, 2);
        assert_eq!(second.previous.as_deref(), Some("/l?kind=phone"));
        assert_eq!(second.next, None);
        // A trail cut short (an old link) still goes back one page at a time.
        let lost = pager("/l", "", Some("c9"), None, None);
        assert_eq!(lost.previous.as_deref(), Some("/l"));
    }

    #[test]
    fn columns_follow_the_list_order_and_default_when_none_are_known() {
        let all = ["a", "b", "c", "d"];
        assert_eq!(chosen_columns(&all, 2, &[]), vec!["a", "b"]);
        assert_eq!(
            chosen_columns(&all, 2, &["d".into(), "b".into(), "zzz".into()]),
            vec!["b", "d"]
        );
        assert_eq!(chosen_columns(&all, 2, &["zzz".into()]), vec!["a", "b"]);
    }

    #[test]
    fn an_empty_field_is_no_filter_and_a_wrong_one_is_refused() {
        assert_eq!(parse_id("unit_id", " ").unwrap(), None);
        assert!(parse_id("unit_id", "nope").is_err());
        let status: Option<crate::inventory::lifecycle::DeviceStatus> =
            parse_enum("status", "in_stock").unwrap();
        assert!(status.is_some());
        assert!(parse_enum::<crate::inventory::lifecycle::DeviceStatus>("status", "x").is_err());
    }
}
