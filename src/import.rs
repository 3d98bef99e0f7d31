//! CSV imports of devices, employees and subscriptions: all rows or none.
//!
//! The file is what Excel in a Swedish locale saves: UTF-8 with or without a BOM, comma
//! or semicolon separated. Its header names the API's fields. Every row is checked — its
//! fields, its references, and its unique values against the file and the database — and
//! every bad row is reported with its line number (the header is line 1) before anything
//! is written. A file with no errors is written in one transaction.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, TransactionTrait, TryIntoModel,
};
use serde::{Serialize, de::DeserializeOwned};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    audit::{self},
    auth::{Access, Caller, Resource},
    csv_cells,
    error::{AppError, AppResult, FieldError, LineError},
    import_names::Names,
    inventory::{
        devices::{self, NewDevice},
        subscriptions::{self, NewSubscription},
        visibility::refresh_device_units,
    },
    org::{
        KnownIds,
        employees::{self, NewEmployee},
    },
};

/// Rows written per INSERT: well under every store's limit on bound parameters.
const INSERT_CHUNK: usize = 500;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ImportOutcome {
    /// Rows written (0 on a dry run).
    pub created: usize,
    /// Rows that passed every check.
    pub valid_rows: usize,
    pub dry_run: bool,
}

/// The column type of an importable's table.
type ColumnOf<T> = <<T as Importable>::Entity as EntityTrait>::Column;

/// A value that must be unique in the tenant: its field, column and value (if any).
pub struct UniqueValue<C> {
    pub field: &'static str,
    pub column: C,
    pub value: Option<String>,
}

/// The rows of a file that parsed, by line, and the errors of those that did not.
struct ParsedRows<T> {
    rows: Vec<(u64, T)>,
    errors: Vec<LineError>,
}

/// What one kind of record needs to be imported.
pub trait Importable: DeserializeOwned + Send {
    type Entity: EntityTrait;
    type Valid: Send + Sync;
    /// What an import of these writes: the importer must be allowed to write it.
    const RESOURCE: Resource;
    /// The audit trail's name for the entity.
    const ENTITY_TYPE: &'static str;
    /// Header columns every file must have.
    const REQUIRED: &'static [&'static str];
    /// Header columns a file may have.
    const OPTIONAL: &'static [&'static str];
    /// Columns an export adds, accepted and ignored so an export imports again.
    const IGNORED: &'static [&'static str];

    fn validate(&self, known: &KnownIds) -> Result<Self::Valid, Vec<FieldError>>;
    /// The row's values that must be unique in the tenant, with their field and column.
    fn unique_values(valid: &Self::Valid) -> Vec<UniqueValue<ColumnOf<Self>>>;
    fn tenant_column() -> <Self::Entity as EntityTrait>::Column;
    /// Which existing rows hold their unique values (all but terminated subscriptions).
    fn live_rows() -> Condition {
        Condition::all()
    }
    /// Whether inserted rows need their unit links computed (devices).
    const LINKS_UNITS: bool = false;
    /// The row to insert, its id, and its audit snapshot.
    fn build(
        valid: Self::Valid,
        tenant_id: Uuid,
        now: DateTime<Utc>,
    ) -> AppResult<(
        <Self::Entity as EntityTrait>::ActiveModel,
        Uuid,
        serde_json::Value,
    )>;
}

/// The file's text without a BOM; 400 if it is not UTF-8.
fn decode(body: &[u8]) -> AppResult<&str> {
    let text = std::str::from_utf8(body).map_err(|e| {
        AppError::BadRequest(format!(
            "the file is not UTF-8 (byte {}); in Excel choose \"CSV UTF-8\"",
            e.valid_up_to()
        ))
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Semicolon when the header has more semicolons than commas (Excel in a Swedish
/// locale), else comma.
fn delimiter_of(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    if header.matches(';').count() > header.matches(',').count() {
        b';'
    } else {
        b','
    }
}

/// Where each line of a text starts, to name the line a spreadsheet or editor shows for
/// a byte offset. The csv crate's own line count is off for CRLF files (every file Excel
/// saves): a line ends at `\n`, at `\r\n`, or at a lone `\r`.
struct LineStarts<'a> {
    text: &'a [u8],
    starts: Vec<u64>,
}

impl<'a> LineStarts<'a> {
    fn of(text: &'a str) -> Self {
        let text = text.as_bytes();
        let mut starts = vec![0];
        for (i, b) in text.iter().enumerate() {
            let ends_line = *b == b'\n' || (*b == b'\r' && text.get(i + 1) != Some(&b'\n'));
            if ends_line {
                starts.push(i as u64 + 1);
            }
        }
        Self { text, starts }
    }

    /// The 1-based line of the record csv says starts at `position`. Its offset may
    /// point at the line breaks before the record (csv ends a record at `\r` and skips
    /// the `\n` and any blank lines with the next one): the record starts after them.
    fn of_position(&self, position: Option<&csv::Position>) -> u64 {
        let Some(position) = position else { return 0 };
        let mut offset = usize::try_from(position.byte()).unwrap_or(usize::MAX);
        while self
            .text
            .get(offset)
            .is_some_and(|b| matches!(b, b'\r' | b'\n'))
        {
            offset += 1;
        }
        self.starts.partition_point(|start| *start <= offset as u64) as u64
    }
}

/// A CSV file read as text: its header and its non-blank rows with their line numbers,
/// and the rows that could not be read at all.
pub struct Table {
    pub headers: csv::StringRecord,
    pub rows: Vec<(u64, csv::StringRecord)>,
    pub errors: Vec<LineError>,
}

/// Reads a CSV upload: UTF-8 with or without BOM, comma or semicolon, fields trimmed;
/// rows of bare separators (Excel leaves them at the end) are skipped.
pub fn read_table(body: &[u8]) -> AppResult<Table> {
    let text = decode(body)?;
    let lines = LineStarts::of(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter_of(text))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| AppError::BadRequest(format!("cannot read the header row: {e}")))?
        .clone();
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) if record.iter().all(str::is_empty) => {}
            Ok(record) => {
                let line = lines.of_position(record.position());
                // A file Stilla exported carries neutralized formula cells; take them back.
                let record: csv::StringRecord = record.iter().map(csv_cells::restore).collect();
                rows.push((line, record));
            }
            Err(e) => errors.push(LineError {
                line: lines.of_position(e.position()),
                field: None,
                message: e.to_string(),
            }),
        }
    }
    Ok(Table {
        headers,
        rows,
        errors,
    })
}

/// Parses the rows into `T`, collecting header and row errors; units and roles may be
/// named (`names`).
fn parse_rows<T: Importable>(body: &[u8], names: &Names) -> AppResult<ParsedRows<T>> {
    let Table {
        headers,
        rows: records,
        errors: mut read_errors,
    } = read_table(body)?;
    let mut errors = Vec::new();
    let mut kept = Vec::new();
    for (index, name) in headers.iter().enumerate() {
        if T::REQUIRED.contains(&name) || T::OPTIONAL.contains(&name) {
            kept.push(index);
        } else if !T::IGNORED.contains(&name) {
            errors.push(LineError {
                line: 1,
                field: Some(name.to_owned()),
                message: format!(
                    "unknown column; the columns are {}",
                    [T::REQUIRED, T::OPTIONAL].concat().join(", ")
                ),
            });
        }
    }
    for required in T::REQUIRED {
        if !headers.iter().any(|h| h == *required) {
            errors.push(LineError {
                line: 1,
                field: Some((*required).to_owned()),
                message: "required column is missing".to_owned(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(AppError::ImportRejected(errors));
    }
    let mut rows = Vec::new();
    errors.append(&mut read_errors);
    'rows: for (line, record) in records {
        // Each row goes through the same JSON shape as the API's bodies, so a bad value
        // is named and worded exactly as it would be in a POST.
        let mut fields = serde_json::Map::new();
        for &i in &kept {
            let column = &headers[i];
            let value = record.get(i).unwrap_or("");
            let value = if value.is_empty() {
                serde_json::Value::Null
            } else {
                match names.resolve(column, value) {
                    Ok(id) => serde_json::Value::String(id.unwrap_or_else(|| value.to_owned())),
                    Err(message) => {
                        errors.push(LineError {
                            line,
                            field: Some(column.to_owned()),
                            message: message.to_owned(),
                        });
                        continue 'rows;
                    }
                }
            };
            fields.insert(column.to_owned(), value);
        }
        match serde_path_to_error::deserialize::<_, T>(serde_json::Value::Object(fields)) {
            Ok(row) => rows.push((line, row)),
            Err(e) => {
                let error = FieldError::from_serde(&e.path().to_string(), &e.inner().to_string());
                errors.push(LineError {
                    line,
                    field: Some(error.field),
                    message: error.message,
                });
            }
        }
    }
    Ok(ParsedRows { rows, errors })
}

/// Finds values that repeat within the file or already exist in the tenant.
async fn check_unique<T: Importable>(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    valid: &[(u64, T::Valid)],
    errors: &mut Vec<LineError>,
) -> AppResult<()> {
    // Per unique field: its column, and each (line, value) of the file.
    type Occurrences<C> = (C, Vec<(u64, String)>);
    let mut by_field: HashMap<&'static str, Occurrences<ColumnOf<T>>> = HashMap::new();
    for (line, row) in valid {
        for UniqueValue {
            field,
            column,
            value,
        } in T::unique_values(row)
        {
            if let Some(value) = value {
                by_field
                    .entry(field)
                    .or_insert_with(|| (column, Vec::new()))
                    .1
                    .push((*line, value));
            }
        }
    }
    for (field, (column, values)) in by_field {
        let mut first_line: HashMap<&str, u64> = HashMap::new();
        for (line, value) in &values {
            if let Some(first) = first_line.get(value.as_str()) {
                errors.push(LineError {
                    line: *line,
                    field: Some(field.to_owned()),
                    message: format!("`{value}` is also on line {first}"),
                });
            } else {
                first_line.insert(value, *line);
            }
        }
        let mut existing = HashSet::new();
        let distinct: Vec<String> = first_line.keys().map(|v| (*v).to_owned()).collect();
        for chunk in distinct.chunks(INSERT_CHUNK) {
            let found: Vec<String> = T::Entity::find()
                .select_only()
                .column(column)
                .filter(T::tenant_column().eq(tenant_id))
                .filter(column.is_in(chunk.iter().cloned()))
                .filter(T::live_rows())
                .into_tuple()
                .all(db)
                .await?;
            existing.extend(found);
        }
        for (line, value) in &values {
            if existing.contains(value) {
                errors.push(LineError {
                    line: *line,
                    field: Some(field.to_owned()),
                    message: format!("`{value}` already exists"),
                });
            }
        }
    }
    Ok(())
}

/// Imports a CSV file of `T`, all rows or none.
/// Whether the caller may import a file of `resource`: imports at all, and write what
/// the file holds. Asked again by every import; an upload asks first, before a byte of
/// the file is read.
pub fn may_import(caller: &Caller, resource: Resource) -> AppResult<()> {
    caller.may(Resource::Imports, Access::Write)?;
    caller.may(resource, Access::Write)
}

pub async fn import_csv<T: Importable>(
    db: &DatabaseConnection,
    caller: &Caller,
    body: &[u8],
    dry_run: bool,
) -> AppResult<ImportOutcome> {
    may_import(caller, T::RESOURCE)?;
    let actor = &caller.actor();
    let names = Names::load(db, actor.tenant_id).await?;
    let ParsedRows { rows, mut errors } = parse_rows::<T>(body, &names)?;
    let known = KnownIds::load(db, actor.tenant_id).await?;
    let mut valid = Vec::with_capacity(rows.len());
    for (line, row) in rows {
        match row.validate(&known) {
            Ok(v) => valid.push((line, v)),
            Err(field_errors) => errors.extend(field_errors.into_iter().map(|e| LineError {
                line,
                field: Some(e.field),
                message: e.message,
            })),
        }
    }
    check_unique::<T>(db, actor.tenant_id, &valid, &mut errors).await?;
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        return Err(AppError::ImportRejected(errors));
    }
    let valid_rows = valid.len();
    if dry_run {
        return Ok(ImportOutcome {
            created: 0,
            valid_rows,
            dry_run: true,
        });
    }
    let now = Utc::now();
    let mut models = Vec::with_capacity(valid_rows);
    let mut snapshots = Vec::with_capacity(valid_rows);
    for (_, row) in valid {
        let (model, id, snapshot) = T::build(row, actor.tenant_id, now)?;
        models.push(model);
        snapshots.push((id, snapshot));
    }
    let txn = db.begin().await?;
    let mut models = models.into_iter().peekable();
    while models.peek().is_some() {
        let chunk: Vec<_> = models.by_ref().take(INSERT_CHUNK).collect();
        T::Entity::insert_many(chunk)
            .exec_without_returning(&txn)
            .await
            .map_err(|e| AppError::from_db_write(e, &[]))?;
    }
    if T::LINKS_UNITS {
        let ids: Vec<Uuid> = snapshots.iter().map(|(id, _)| *id).collect();
        refresh_device_units(&txn, actor.tenant_id, &ids).await?;
    }
    audit::record_created_many(&txn, actor, "import", T::ENTITY_TYPE, &snapshots).await?;
    txn.commit().await?;
    Ok(ImportOutcome {
        created: valid_rows,
        valid_rows,
        dry_run: false,
    })
}

fn snapshot_of<A, M, V>(active: &A) -> AppResult<serde_json::Value>
where
    A: ActiveModelTrait + TryIntoModel<M> + Clone,
    M: sea_orm::ModelTrait + Into<V>,
    V: Serialize,
{
    let model = active.clone().try_into_model()?;
    Ok(serde_json::to_value(model.into()).map_err(anyhow::Error::from)?)
}

impl Importable for NewDevice {
    const RESOURCE: Resource = Resource::Devices;
    type Entity = entities::device::Entity;
    type Valid = devices::ValidDevice;
    const ENTITY_TYPE: &'static str = "device";
    const REQUIRED: &'static [&'static str] = &[
        "kind",
        "manufacturer",
        "model",
        "serial_number",
        "ownership",
    ];
    const OPTIONAL: &'static [&'static str] = &[
        "imei",
        "status",
        "unit_id",
        "purchase_price",
        "purchased_on",
        "warranty_ends_on",
    ];
    const IGNORED: &'static [&'static str] = devices::EXPORT_ONLY_COLUMNS;
    const LINKS_UNITS: bool = true;

    fn validate(&self, known: &KnownIds) -> Result<Self::Valid, Vec<FieldError>> {
        devices::validate_device(self, known)
    }

    fn unique_values(valid: &Self::Valid) -> Vec<UniqueValue<entities::device::Column>> {
        use entities::device::Column;
        vec![
            UniqueValue {
                field: "serial_number",
                column: Column::SerialNumber,
                value: Some(valid.serial_number.clone()),
            },
            UniqueValue {
                field: "imei",
                column: Column::Imei,
                value: valid.imei.clone(),
            },
        ]
    }

    fn tenant_column() -> entities::device::Column {
        entities::device::Column::TenantId
    }

    fn build(
        valid: Self::Valid,
        tenant_id: Uuid,
        now: DateTime<Utc>,
    ) -> AppResult<(entities::device::ActiveModel, Uuid, serde_json::Value)> {
        let active = devices::new_active_model(tenant_id, valid, now);
        let snapshot = snapshot_of::<_, entities::device::Model, devices::DeviceView>(&active)?;
        let id = *active.id.as_ref();
        Ok((active, id, snapshot))
    }
}

impl Importable for NewEmployee {
    const RESOURCE: Resource = Resource::Employees;
    type Entity = entities::employee::Entity;
    type Valid = employees::ValidEmployee;
    const ENTITY_TYPE: &'static str = "employee";
    const REQUIRED: &'static [&'static str] =
        &["name", "email", "unit_id", "role_id", "employment_type"];
    const OPTIONAL: &'static [&'static str] = &["employment_ends_on", "external_id"];
    const IGNORED: &'static [&'static str] = &[
        "id",
        "schedule_mode",
        "time_zone",
        "created_at",
        "updated_at",
    ];

    fn validate(&self, known: &KnownIds) -> Result<Self::Valid, Vec<FieldError>> {
        employees::validate_employee(self, known)
    }

    fn unique_values(valid: &Self::Valid) -> Vec<UniqueValue<entities::employee::Column>> {
        use entities::employee::Column;
        vec![
            UniqueValue {
                field: "email",
                column: Column::Email,
                value: Some(valid.email.clone()),
            },
            UniqueValue {
                field: "external_id",
                column: Column::ExternalId,
                value: valid.external_id.clone(),
            },
        ]
    }

    fn tenant_column() -> entities::employee::Column {
        entities::employee::Column::TenantId
    }

    fn build(
        valid: Self::Valid,
        tenant_id: Uuid,
        now: DateTime<Utc>,
    ) -> AppResult<(entities::employee::ActiveModel, Uuid, serde_json::Value)> {
        let active = employees::new_active_model(tenant_id, valid, now);
        let snapshot =
            snapshot_of::<_, entities::employee::Model, employees::EmployeeView>(&active)?;
        let id = *active.id.as_ref();
        Ok((active, id, snapshot))
    }
}

impl Importable for NewSubscription {
    const RESOURCE: Resource = Resource::Subscriptions;
    type Entity = entities::subscription::Entity;
    type Valid = subscriptions::ValidSubscription;
    const ENTITY_TYPE: &'static str = "subscription";
    const REQUIRED: &'static [&'static str] = &["msisdn", "operator", "plan", "monthly_cost"];
    const OPTIONAL: &'static [&'static str] = &["iccid", "extension", "status"];
    const IGNORED: &'static [&'static str] = subscriptions::EXPORT_ONLY_COLUMNS;

    fn validate(&self, _known: &KnownIds) -> Result<Self::Valid, Vec<FieldError>> {
        subscriptions::validate_subscription(self)
    }

    fn unique_values(valid: &Self::Valid) -> Vec<UniqueValue<entities::subscription::Column>> {
        use entities::subscription::Column;
        vec![
            UniqueValue {
                field: "msisdn",
                column: Column::Msisdn,
                value: Some(valid.msisdn.clone()),
            },
            UniqueValue {
                field: "iccid",
                column: Column::Iccid,
                value: valid.iccid.clone(),
            },
        ]
    }

    fn tenant_column() -> entities::subscription::Column {
        entities::subscription::Column::TenantId
    }

    fn live_rows() -> Condition {
        Condition::all().add(
            entities::subscription::Column::Status
                .ne(entities::vocab::SubscriptionStatus::Terminated),
        )
    }

    fn build(
        valid: Self::Valid,
        tenant_id: Uuid,
        now: DateTime<Utc>,
    ) -> AppResult<(entities::subscription::ActiveModel, Uuid, serde_json::Value)> {
        let active = subscriptions::new_active_model(tenant_id, valid, now);
        let snapshot =
            snapshot_of::<_, entities::subscription::Model, subscriptions::SubscriptionView>(
                &active,
            )?;
        let id = *active.id.as_ref();
        Ok((active, id, snapshot))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line each row of `file` is reported on.
    fn lines(file: &str) -> Vec<u64> {
        read_table(file.as_bytes())
            .unwrap()
            .rows
            .iter()
            .map(|(line, _)| *line)
            .collect()
    }

    #[test]
    fn rows_are_named_by_the_line_a_spreadsheet_shows_whatever_the_line_endings() {
        let rows = ["serial,imei", "A,1", "B,2", "C,3"];
        for (ending, name) in [("\n", "LF"), ("\r\n", "CRLF"), ("\r", "CR")] {
            let file = rows.join(ending) + ending;
            assert_eq!(lines(&file), vec![2, 3, 4], "{name}");
            assert_eq!(
                lines(&format!("\u{feff}{file}")),
                vec![2, 3, 4],
                "{name}, BOM"
            );
            assert_eq!(
                lines(&file.replace(',', ";")),
                vec![2, 3, 4],
                "{name}, semicolons"
            );
        }
    }

    #[test]
    fn a_quoted_line_break_and_blank_rows_do_not_shift_the_lines_after_them() {
        let file = "serial,note\r\nA,\"two\r\nlines\"\r\n,\r\nB,x\r\n";
        assert_eq!(lines(file), vec![2, 5]);
    }

    #[test]
    fn a_row_that_cannot_be_read_is_named_by_its_line() {
        let table = read_table(b"serial,imei\r\nA,1\r\nB,2,extra\r\n").unwrap();
        assert_eq!(table.rows.len(), 1);
        assert_eq!(table.errors.len(), 1);
        assert_eq!(table.errors[0].line, 3);
    }
}
