//! Working time as stored: the tenant's policy, unit and employee hours and zones,
//! shifts, absences and focus time — and the bulk loader that turns them into the
//! reachability engine's [`Schedule`](crate::reachability::Schedule)s.
pub mod absences;
pub mod book;
pub mod changes;
pub mod focus;
pub mod hours;
pub mod policy;
pub mod shift_import;
pub mod shifts;

use chrono_tz::Tz;

use crate::error::FieldError;

/// Stockholm unless the tenant says otherwise.
pub const DEFAULT_ZONE: Tz = chrono_tz::Europe::Stockholm;

/// An IANA zone name, checked.
pub fn parse_zone(field: &str, name: &str, errors: &mut Vec<FieldError>) -> Option<Tz> {
    if let Ok(zone) = name.parse::<Tz>() {
        Some(zone)
    } else {
        errors.push(FieldError::new(
            field,
            format!("`{name}` is not an IANA time zone such as Europe/Stockholm"),
        ));
        None
    }
}

/// A value for a JSON column.
pub fn to_json<T: serde::Serialize>(value: &T) -> crate::error::AppResult<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| anyhow::Error::from(e).into())
}
