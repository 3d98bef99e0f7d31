//! Follow-up reports, and the way every report answers: JSON, or the same figures as
//! CSV or an Excel workbook.
pub mod after_hours;
pub mod cache;
pub mod cached;
pub mod follow_up;
pub mod overview;
pub mod refresh;
pub mod table;

use axum::{
    Json,
    http::header,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::AppResult;
use table::Table;

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
