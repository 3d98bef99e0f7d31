//! Checking request fields: the error one bad field gives, and the checks many
//! resources share (text lengths, PATCH's absent-versus-null).
use serde::Serialize;
use utoipa::ToSchema;

/// One bad field of a request body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl FieldError {
    /// The error serde reported at `path` (`serde_path_to_error`'s form, `.` for the
    /// root), as a field error: a missing field is named itself rather than its parent,
    /// and `serde_json`'s " at line L column C" is dropped.
    pub fn from_serde(path: &str, message: &str) -> Self {
        let message = message.split(" at line ").next().unwrap_or(message);
        let field = match message.strip_prefix("missing field `") {
            Some(rest) => {
                let name = rest.trim_end_matches('`');
                if path == "." {
                    name.to_owned()
                } else {
                    format!("{path}.{name}")
                }
            }
            None if path == "." => "body".to_owned(),
            None => path.to_owned(),
        };
        FieldError::new(field, message)
    }
}

/// Deserializes a PATCH field so that an absent key (`None`) differs from an explicit
/// `null` (`Some(None)`, which clears the value).
pub fn patch_field<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// Trims a required text field, checking its length; records an error if it is bad.
pub fn required_text(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.push(FieldError::new(field, "must not be empty"));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    value.to_owned()
}

/// Trims an optional text field; blank becomes absent.
pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Some(value.to_owned())
}
