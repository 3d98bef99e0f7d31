//! A form the console refused is drawn again: its own page, the refusals above it (each
//! linked to its field), and every field as it was typed — nothing is typed twice and
//! nothing was changed. Handlers keep their one shape: do the change, and on a refusal
//! of what was typed, hand the form to [`Console::refused`] and draw the page again.
use std::collections::HashMap;

use axum::{http::StatusCode, response::Response};
use serde::Serialize;

use super::session::{Console, WebResult};
use crate::error::AppError;

/// What a refused form held, and why it was refused.
#[derive(Clone, Debug, Default)]
pub struct Refused {
    /// (field, message), as the domain refused them.
    pub errors: Vec<(String, String)>,
    /// Each field's values as typed (several for a group of checkboxes).
    values: HashMap<String, Vec<String>>,
    /// What the form's field ids begin with (`f-` for `f-imei`).
    prefix: &'static str,
}

impl Refused {
    /// What `form` held, when `err` refuses what was typed (a 422); other errors — not
    /// allowed, not found, a conflict — stay errors and get the error page.
    pub fn of(
        err: AppError,
        form: &impl Serialize,
        prefix: &'static str,
    ) -> Result<Refused, AppError> {
        let errors = match err {
            AppError::Invalid(errors) => errors.into_iter().map(|e| (e.field, e.message)).collect(),
            other => return Err(other),
        };
        let text = |value: serde_json::Value| match value {
            serde_json::Value::String(text) => Some(text),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        let values = match serde_json::to_value(form) {
            Ok(serde_json::Value::Object(fields)) => fields
                .into_iter()
                .filter(|(name, _)| name != "csrf")
                .map(|(name, value)| match value {
                    serde_json::Value::Array(values) => {
                        (name, values.into_iter().filter_map(text).collect())
                    }
                    value => (name, text(value).into_iter().collect()),
                })
                .collect(),
            _ => HashMap::new(),
        };
        Ok(Refused {
            errors,
            values,
            prefix,
        })
    }

    /// The refusals of a form whose fields' ids are their names (compose).
    pub fn errors(errors: Vec<(String, String)>) -> Refused {
        Refused {
            errors,
            ..Refused::default()
        }
    }

    /// What was typed into `field`, if the form was refused.
    pub fn value(&self, field: &str) -> Option<&str> {
        self.values.get(field)?.first().map(String::as_str)
    }

    /// Whether `value` was among those ticked for `field` (a checkbox or radio button).
    pub fn ticked(&self, field: &str, value: &str) -> bool {
        self.values
            .get(field)
            .is_some_and(|values| values.iter().any(|v| v == value))
    }

    /// The id of `field`'s input, for the refusal's link.
    pub fn anchor(&self, field: &str) -> String {
        format!("{}{}", self.prefix, input_of(field))
    }

    /// Whether the input named `input` holds a refused value.
    pub fn refuses(&self, input: &str) -> bool {
        self.errors
            .iter()
            .any(|(field, _)| input_of(field) == input)
    }

    /// Whether the refused form is the one whose ids begin with `prefix`.
    pub fn is_for(&self, prefix: &str) -> bool {
        !self.is_empty() && self.prefix == prefix
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}

/// The form input a refused field is typed into: `imei` for `imei`, `unit_ids` for
/// `unit_ids[2]`; a week's ranges are typed a day a field, so `working_hours.tue[0].start`
/// is `tue`.
fn input_of(field: &str) -> &str {
    let mut parts = field
        .split('.')
        .map(|part| part.split('[').next().unwrap_or(part));
    let first = parts.next().unwrap_or(field);
    match (first, parts.next()) {
        ("working_hours", Some(day)) => day,
        _ => first,
    }
}

impl Console {
    /// This console, drawing the form's page `page` with `form` refused for `err` (see
    /// [`Refused::of`]); the language switch comes back to that page, not to the form's
    /// target.
    pub fn refused(
        mut self,
        err: AppError,
        form: &impl Serialize,
        prefix: &'static str,
        page: &str,
    ) -> Result<Console, AppError> {
        self.refusal = Some(Refused::of(err, form, prefix)?);
        page.clone_into(&mut self.here);
        Ok(self)
    }
}

/// The page of a refused form, as 422 Unprocessable Content.
pub async fn drawn_again(page: impl Future<Output = WebResult<Response>>) -> WebResult<Response> {
    let mut response = page.await?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Form {
        csrf: String,
        imei: String,
        price: u32,
        unit_ids: Vec<String>,
        urgent: Option<String>,
    }

    #[test]
    fn a_refusal_keeps_what_was_typed_but_not_the_csrf_token() {
        let form = Form {
            csrf: "secret".into(),
            imei: "1234".into(),
            price: 12,
            unit_ids: vec!["a".into(), "b".into()],
            urgent: None,
        };
        let refused = Refused::of(AppError::invalid("imei", "bad"), &form, "f-").unwrap();
        assert_eq!(refused.value("imei"), Some("1234"));
        assert_eq!(refused.value("price"), Some("12"));
        assert_eq!(refused.value("csrf"), None);
        assert!(refused.ticked("unit_ids", "b") && !refused.ticked("unit_ids", "c"));
        assert!(!refused.ticked("urgent", "true"));
        assert_eq!(refused.errors, [("imei".to_owned(), "bad".to_owned())]);
        assert_eq!(refused.anchor("imei"), "f-imei");
        assert_eq!(refused.anchor("working_hours.tue[0].start"), "f-tue");
        assert_eq!(refused.anchor("unit_ids[1]"), "f-unit_ids");
        assert!(refused.refuses("imei") && !refused.refuses("price"));
        // Not a refusal of what was typed: the error page.
        assert!(Refused::of(AppError::NotFound("device"), &form, "f-").is_err());
    }
}
