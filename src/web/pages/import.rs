//! CSV import in the console: upload, a dry run that lists every row error or the whole
//! plan (every row that would be created), then the import itself — the API's
//! all-or-nothing `import_csv`, nothing of its own.
use askama::Template;
use axum::{
    body::Bytes,
    extract::{Multipart, State, multipart::MultipartError},
    http::StatusCode,
    response::{IntoResponse, Response},
};

use super::{Chrome, render};
use crate::{
    app::AppState,
    auth::Resource,
    downloads::{ReportFormat, respond},
    error::{AppError, LineError},
    import::may_import,
    import::{Importable, import_csv, read_table},
    inventory::{devices::NewDevice, subscriptions::NewSubscription},
    org::employees::NewEmployee,
    org::{roles::role_names, units::unit_names},
    reports::table::{Cell, Table, names},
    web::session::{Console, WebResult},
};

const KINDS: [&str; 3] = ["devices", "employees", "subscriptions"];

/// What the page shows after a submission.
enum Outcome {
    Nothing,
    Rejected(Vec<LineError>),
    /// A dry run that passed: the rows that would be created, and the file to confirm.
    Plan {
        headers: Vec<String>,
        rows: Vec<(u64, Vec<String>)>,
        csv_text: String,
    },
    Created(i64),
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    c: Chrome,
    kind: String,
    kinds: [&'static str; 3],
    outcome: Outcome,
}

pub async fn form(console: Console) -> WebResult<Response> {
    may_import(&console.caller, Resource::Imports)?;
    render(&ImportPage {
        c: Chrome::new(&console, "import-title", "nav-import"),
        kind: "devices".to_owned(),
        kinds: KINDS,
        outcome: Outcome::Nothing,
    })
}

/// The form's fields: `kind`, `dry_run`, and the file (`file`) or, when confirming a
/// dry run, the same text again (`csv_text`).
#[derive(Default)]
struct Upload {
    kind: String,
    dry_run: bool,
    body: Vec<u8>,
}

/// The fields of a console upload, read only once its sender may upload: the caller
/// must be allowed to import `resource` before a byte is read, and the form's first
/// field must be its CSRF token (every upload form puts it first; browsers send fields
/// in order), checked before the file that follows it is read.
pub async fn read_upload_fields(
    console: &Console,
    resource: Resource,
    mut multipart: Multipart,
) -> WebResult<Vec<(String, Bytes)>> {
    may_import(&console.caller, resource)?;
    let bad = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge(e.body_text())
        } else {
            AppError::BadRequest(e.body_text())
        }
    };
    let first = multipart.next_field().await.map_err(bad)?;
    let csrf = match first {
        Some(field) if field.name() == Some("csrf") => field.text().await.map_err(bad)?,
        _ => String::new(),
    };
    console.check_csrf(&csrf)?;
    let mut fields = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        fields.push((name, field.bytes().await.map_err(bad)?));
    }
    Ok(fields)
}

async fn read_upload(console: &Console, multipart: Multipart) -> WebResult<Upload> {
    let mut upload = Upload::default();
    // The kind is in the form: any import is asked for before it is read, and the
    // chosen kind's own rights when the rows are imported.
    for (name, data) in read_upload_fields(console, Resource::Imports, multipart).await? {
        match name.as_str() {
            "kind" => upload.kind = String::from_utf8_lossy(&data).into_owned(),
            "dry_run" => upload.dry_run = true,
            "file" | "csv_text" if !data.is_empty() => upload.body = data.to_vec(),
            _ => {}
        }
    }
    Ok(upload)
}

async fn run<T: Importable>(
    state: &AppState,
    console: &Console,
    upload: &Upload,
) -> Result<Outcome, AppError> {
    let outcome = import_csv::<T>(&state.db, &console.caller, &upload.body, upload.dry_run).await;
    match outcome {
        Ok(done) if done.dry_run => {
            let table = read_table(&upload.body)?;
            Ok(Outcome::Plan {
                headers: table.headers.iter().map(str::to_owned).collect(),
                rows: table
                    .rows
                    .iter()
                    .map(|(line, r)| (*line, r.iter().map(str::to_owned).collect()))
                    .collect(),
                csv_text: String::from_utf8_lossy(&upload.body).into_owned(),
            })
        }
        Ok(done) => Ok(Outcome::Created(done.created as i64)),
        Err(AppError::ImportRejected(errors)) => Ok(Outcome::Rejected(errors)),
        Err(AppError::Invalid(errors)) => Ok(Outcome::Rejected(
            errors
                .into_iter()
                .map(|e| LineError {
                    line: 1,
                    field: Some(e.field),
                    message: e.message,
                })
                .collect(),
        )),
        Err(AppError::BadRequest(message)) => Ok(Outcome::Rejected(vec![LineError {
            line: 1,
            field: None,
            message,
        }])),
        Err(other) => Err(other),
    }
}

pub async fn upload(
    State(state): State<AppState>,
    console: Console,
    multipart: Multipart,
) -> WebResult<Response> {
    let upload = read_upload(&console, multipart).await?;
    let outcome = if upload.body.is_empty() {
        Outcome::Rejected(vec![LineError {
            line: 0,
            field: Some("file".to_owned()),
            message: console.lang.t("import-no-file"),
        }])
    } else {
        match upload.kind.as_str() {
            "devices" => run::<NewDevice>(&state, &console, &upload).await?,
            "employees" => run::<NewEmployee>(&state, &console, &upload).await?,
            "subscriptions" => run::<NewSubscription>(&state, &console, &upload).await?,
            _ => {
                return Err(
                    AppError::invalid("kind", "devices, employees or subscriptions").into(),
                );
            }
        }
    };
    let status = match outcome {
        Outcome::Rejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let page = ImportPage {
        c: Chrome::new(&console, "import-title", "nav-import"),
        kind: upload.kind,
        kinds: KINDS,
        outcome,
    };
    Ok((status, render(&page)?).into_response())
}

/// A file to fill in for `kind`: every column the import takes, and one example row
/// naming one of the organisation's units and roles the way people write them.
pub async fn template(
    State(state): State<AppState>,
    console: Console,
    axum::extract::Path(kind): axum::extract::Path<String>,
) -> WebResult<Response> {
    may_import(&console.caller, Resource::Imports)?;
    let tenant_id = console.caller.tenant_id;
    let first = |names: std::collections::HashMap<uuid::Uuid, String>, otherwise: &str| {
        let mut names: Vec<String> = names.into_values().collect();
        names.sort_by(|a, b| crate::web::collate::compare(a, b));
        names
            .into_iter()
            .next()
            .unwrap_or_else(|| otherwise.to_owned())
    };
    let unit = first(unit_names(&state.db, tenant_id).await?, "Avd 1");
    let role = first(role_names(&state.db, tenant_id).await?, "Sjuksköterska");
    let (columns, example): (Vec<&'static str>, Vec<(&str, String)>) = match kind.as_str() {
        "devices" => (
            [NewDevice::REQUIRED, NewDevice::OPTIONAL].concat(),
            vec![
                ("kind", "phone".into()),
                ("manufacturer", "Apple".into()),
                ("model", "iPhone 15".into()),
                ("serial_number", "F2LXK0000001".into()),
                ("ownership", "organization".into()),
                ("imei", "490154203237518".into()),
                ("status", "in_stock".into()),
                ("unit_id", unit),
                ("purchase_price", "4995,00".into()),
                ("purchased_on", "2026-01-15".into()),
                ("warranty_ends_on", "2028-01-15".into()),
            ],
        ),
        "employees" => (
            [NewEmployee::REQUIRED, NewEmployee::OPTIONAL].concat(),
            vec![
                ("name", "Anna Andersson".into()),
                ("email", "anna.andersson@example.se".into()),
                ("unit_id", unit),
                ("role_id", role),
                ("employment_type", "permanent".into()),
                ("external_id", "E1001".into()),
            ],
        ),
        "subscriptions" => (
            [NewSubscription::REQUIRED, NewSubscription::OPTIONAL].concat(),
            vec![
                ("msisdn", "070-123 45 67".into()),
                ("operator", "Telia".into()),
                ("plan", "Jobbmobil 10 GB".into()),
                ("monthly_cost", "149,00".into()),
                ("extension", "4410".into()),
                ("status", "active".into()),
            ],
        ),
        _ => return Err(AppError::NotFound("import kind").into()),
    };
    let row = columns
        .iter()
        .map(|column| {
            let value = example
                .iter()
                .find(|(name, _)| name == column)
                .map(|(_, value)| value.clone())
                .unwrap_or_default();
            Cell::Text(value)
        })
        .collect();
    let table = Table {
        sheet: "Mall",
        columns: names(&columns),
        rows: vec![row],
    };
    let name = format!("stilla-mall-{kind}");
    Ok(respond(Some(ReportFormat::Csv), &name, &(), || table)?)
}
