//! `?format=csv` on lists: every matching row, streamed page by page so a 100,000-row
//! export never sits in memory whole.
use std::future::Future;

use axum::{
    body::{Body, Bytes},
    http::header,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    error::AppResult,
    pagination::{Page, PageRequest},
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
            let mut writer = csv::WriterBuilder::new()
                .has_headers(first)
                .from_writer(Vec::new());
            first = false;
            let written: Result<(), csv::Error> =
                page.items.iter().try_for_each(|row| writer.serialize(row));
            let chunk = written
                .map_err(|e| e.to_string())
                .and_then(|()| writer.into_inner().map_err(|e| e.to_string()));
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    tracing::error!(error = %e, "CSV export failed");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            };
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
