//! A notice as a sender writes it, and the checks it must pass before anything is planned.
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::limits::{
    MAX_BODY_CHARS, MAX_SEND_AHEAD_DAYS, MAX_TITLE_CHARS, MAX_URGENT_REASON_CHARS,
};
use crate::{
    auth::Caller,
    error::{AppError, AppResult, FieldError},
    reachability::Priority,
};

/// Most ids one audience list may name.
const MAX_AUDIENCE_IDS: usize = 100_000;

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeInput {
    /// At most 120 characters.
    pub title: String,
    /// At most 700 characters.
    pub body: String,
    pub priority: Priority,
    pub audience: Audience,
    /// When to send; default now. At most 90 days ahead.
    pub send_at: Option<DateTime<Utc>>,
    /// After this it is not pushed any more (it stays in the inbox, marked expired).
    pub expires_at: Option<DateTime<Utc>>,
    /// Default true for important and urgent, false for info.
    pub requires_ack: Option<bool>,
    /// Urgent only: push again every 2 minutes, for at most 20, until acknowledged.
    pub repeat_until_ack: Option<bool>,
    /// Required for urgent: why this may not wait for working time.
    pub urgent_reason: Option<String>,
}

/// Who a notice is for. Units include their subtrees; when units and roles are both
/// given they intersect (nurses *of* ward 5); named employees are added to that.
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// Everyone in the tenant (admins only).
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub unit_ids: Vec<Uuid>,
    #[serde(default)]
    pub role_ids: Vec<Uuid>,
    #[serde(default)]
    pub employee_ids: Vec<Uuid>,
}

/// A notice that passed its checks, with defaults filled in.
#[derive(Clone, Debug)]
pub struct ValidNotice {
    pub title: String,
    pub body: String,
    pub priority: Priority,
    pub audience: Audience,
    pub send_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub requires_ack: bool,
    pub repeat_until_ack: bool,
    pub urgent_reason: Option<String>,
}

/// Text a phone shows: trimmed, not empty, not too long, no control characters but
/// line breaks and tabs.
pub(super) fn push_text(
    field: &str,
    value: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.push(FieldError::new(field, "must not be empty"));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} characters (a push must fit in 4 KB)"),
        ));
    } else if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        errors.push(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    value.to_owned()
}

/// Checks a notice; `now` is the server's time. Sending urgent without the right is a
/// 403 before any field is looked at.
pub fn validate(input: NoticeInput, caller: &Caller, now: DateTime<Utc>) -> AppResult<ValidNotice> {
    let urgent = input.priority == Priority::Urgent;
    if urgent && !caller.may_send_urgent() {
        return Err(AppError::Forbidden(
            "sending urgent notices needs a token with can_send_urgent".to_owned(),
        ));
    }
    let mut errors = Vec::new();
    let title = push_text("title", &input.title, MAX_TITLE_CHARS, &mut errors);
    let body = push_text("body", &input.body, MAX_BODY_CHARS, &mut errors);
    let urgent_reason = match (urgent, input.urgent_reason.as_deref().map(str::trim)) {
        (true, None | Some("")) => {
            errors.push(FieldError::new(
                "urgent_reason",
                "an urgent notice must say why it cannot wait for working time",
            ));
            None
        }
        (true, Some(reason)) => Some(push_text(
            "urgent_reason",
            reason,
            MAX_URGENT_REASON_CHARS,
            &mut errors,
        )),
        (false, Some(reason)) if !reason.is_empty() => {
            errors.push(FieldError::new(
                "urgent_reason",
                "only urgent notices carry a reason",
            ));
            None
        }
        (false, _) => None,
    };
    // A moment in the past (a slow client, clocks apart) means now; an hour is a mistake.
    let send_at = match input.send_at {
        Some(at) if at < now - Duration::hours(1) => {
            errors.push(FieldError::new("send_at", "lies in the past"));
            now
        }
        Some(at) if at > now + Duration::days(MAX_SEND_AHEAD_DAYS) => {
            errors.push(FieldError::new(
                "send_at",
                format!("must be at most {MAX_SEND_AHEAD_DAYS} days ahead"),
            ));
            now
        }
        Some(at) => at.max(now),
        None => now,
    };
    if let Some(expires_at) = input.expires_at
        && expires_at <= send_at
    {
        errors.push(FieldError::new("expires_at", "must be after send_at"));
    }
    let repeat_until_ack = input.repeat_until_ack.unwrap_or(false);
    if repeat_until_ack && !urgent {
        errors.push(FieldError::new(
            "repeat_until_ack",
            "only urgent notices are repeated until acknowledged",
        ));
    }
    // Repeating until acknowledged asks for acknowledgement by its nature.
    let requires_ack = input
        .requires_ack
        .unwrap_or(input.priority != Priority::Info || repeat_until_ack);
    if repeat_until_ack && urgent && !requires_ack {
        errors.push(FieldError::new(
            "requires_ack",
            "must be true when repeating until acknowledged",
        ));
    }
    let audience = input.audience;
    let lists = [
        ("audience.unit_ids", audience.unit_ids.len()),
        ("audience.role_ids", audience.role_ids.len()),
        ("audience.employee_ids", audience.employee_ids.len()),
    ];
    let named = lists.iter().map(|(_, n)| n).sum::<usize>();
    if audience.all && named > 0 {
        errors.push(FieldError::new(
            "audience.all",
            "`all` cannot be combined with units, roles or employees",
        ));
    } else if !audience.all && named == 0 {
        errors.push(FieldError::new(
            "audience",
            "name units, roles or employees, or set `all`",
        ));
    }
    for (field, n) in lists {
        if n > MAX_AUDIENCE_IDS {
            errors.push(FieldError::new(
                field,
                format!("at most {MAX_AUDIENCE_IDS} ids"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(ValidNotice {
        title,
        body,
        priority: input.priority,
        audience,
        send_at,
        expires_at: input.expires_at,
        requires_ack,
        repeat_until_ack,
        urgent_reason,
    })
}
