//! Responses that are files, for the API and the console alike: `?format=csv` on lists
//! (every matching row, streamed page by page so a 100,000-row export never sits in
//! memory whole), and a report's table as CSV or an Excel workbook.
use std::future::Future;

use axum::{
    Json,
    body::{Body, Bytes},
    http::header,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    csv_cells,
    error::AppResult,
    pagination::{Page, PageRequest},
    reports::table::Table,
};

/// Rows fetched per query while exporting.
const EXPORT_PAGE: u64 = 1_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Json,
    Csv,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParam {
    /// `json` (a page, the default) or `csv` (every matching row).
    pub format: Option<Format>,
}

impl FormatParam {
    pub fn is_csv(&self) -> bool {
        self.format == Some(Format::Csv)
    }
}

/// A page as a JSON response, serialized into a buffer sized for it up front: growing
/// a small buffer by doubling copied each 25 KB page of devices several times over.
pub fn json_page<T: Serialize>(page: &Page<T>) -> Response {
    let mut buffer = Vec::with_capacity(128 + page.items.len() * 640);
    match serde_json::to_writer(&mut buffer, page) {
        Ok(()) => ([(header::CONTENT_TYPE, "application/json")], buffer).into_response(),
        Err(e) => crate::error::AppError::Internal(e.into()).into_response(),
    }
}

/// One page of rows as CSV, every text cell neutralized ([`csv_cells`]). serde writes the
/// rows (flattening them as the csv crate does); the cells are then read back and
/// written again, since the csv crate offers no hook between a value and its cell.
fn write_csv_page<R: Serialize>(rows: &[R], with_header: bool) -> Result<Vec<u8>, csv::Error> {
    let mut raw = csv::WriterBuilder::new()
        .has_headers(with_header)
        .from_writer(Vec::new());
    for row in rows {
        raw.serialize(row)?;
    }
    let raw = raw.into_inner().map_err(csv::IntoInnerError::into_error)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(raw.as_slice());
    let mut out = csv::Writer::from_writer(Vec::with_capacity(raw.len() + 64));
    for record in reader.records() {
        let record = record?;
        let cells: Vec<_> = record.iter().map(csv_cells::neutralize).collect();
        out.write_record(cells.iter().map(|cell| cell.as_bytes()))?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

/// Streams every page `next_page` yields as one CSV file with a header row.
pub fn csv_download<R, F, Fut>(filename: &'static str, mut next_page: F) -> Response
where
    R: Serialize + Send + 'static,
    F: FnMut(PageRequest) -> Fut + Send + 'static,
    Fut: Future<Output = AppResult<Page<R>>> + Send,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let mut request = PageRequest {
            limit: EXPORT_PAGE,
            after: None,
        };
        let mut first = true;
        loop {
            let page = match next_page(request).await {
                Ok(page) => page,
                Err(e) => {
                    tracing::error!(error = ?e, "CSV export failed");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            };
            // The header row comes from the first row serialized; only the first page has it.
            let chunk = match write_csv_page(&page.items, first) {
                Ok(chunk) => chunk,
                Err(e) => {
                    tracing::error!(error = %e, "CSV export failed");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            };
            first = false;
            if !chunk.is_empty() && tx.send(Ok(Bytes::from(chunk))).await.is_err() {
                return; // The client went away.
            }
            match page.next_cursor.and_then(|c| c.parse().ok()) {
                Some(after) => request.after = Some(after),
                None => return,
            }
        }
    });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx)),
    )
        .into_response()
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    #[default]
    Json,
    /// Semicolons, BOM, decimal comma: Excel in a Swedish locale.
    Csv,
    /// An Excel workbook.
    Xlsx,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<ReportFormat>,
}

/// A report's answer in the asked format; `name` names the downloaded file.
pub fn respond<T: Serialize>(
    format: Option<ReportFormat>,
    name: &str,
    body: &T,
    table: impl FnOnce() -> Table,
) -> AppResult<Response> {
    Ok(match format.unwrap_or_default() {
        ReportFormat::Json => Json(body).into_response(),
        ReportFormat::Csv => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.csv\""),
                ),
            ],
            table().to_csv()?,
        )
            .into_response(),
        ReportFormat::Xlsx => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.xlsx\""),
                ),
            ],
            table().to_xlsx()?,
        )
            .into_response(),
    })
}
