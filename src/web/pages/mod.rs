//! One module per console page (or group of pages). Each handler reads its form or
//! query, calls the domain, and renders one template; the [`Chrome`] is the frame
//! every page shares (language, navigation, the signed-in user, the CSRF token).
pub mod admin;
pub mod devices;
pub mod home;
pub mod import;
pub mod list;
pub mod me;
pub mod notices;
pub mod people;
pub mod reports;
pub mod rollout;
pub mod search;
pub mod sign_in;
pub mod sign_in_settings;
pub mod statement;
pub mod subscriptions;
pub mod working_time;

use askama::Template;
use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};
use fluent_templates::fluent_bundle::FluentValue;

use super::{
    assets, format,
    i18n::{Lang, Said},
    session::{Console, Visitor, WebError, WebResult},
};
use crate::{auth::AccessRole, error::Problem, money::Money, reachability::Priority};

/// A value a template hands over however many references deep its loops left it.
pub trait Plain<T> {
    fn plain(&self) -> T;
}

macro_rules! plain {
    ($($t:ty),*) => {$(
        impl Plain<$t> for $t { fn plain(&self) -> $t { *self } }
        impl Plain<$t> for &$t { fn plain(&self) -> $t { **self } }
        impl Plain<$t> for &&$t { fn plain(&self) -> $t { ***self } }
    )*};
}
plain!(i64, Money, chrono::DateTime<chrono::Utc>, Priority);

/// A link in the header's navigation.
pub struct NavLink {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// What every page's frame needs.
pub struct Chrome {
    pub lang: Lang,
    pub title: String,
    pub nav: Vec<NavLink>,
    /// The signed-in token's name, for "signed in as …".
    pub who: Option<String>,
    pub csrf: String,
    /// The language switch: to the other language, back to this page.
    pub switch_href: String,
    pub switch_label: String,
    pub css: String,
    pub js: String,
    /// Whether admin-only links and forms are shown.
    pub admin: bool,
    /// Whether the header offers the search over everything (admins and managers).
    pub searcher: bool,
    /// The page's form that was refused, if one was: why, and what was typed.
    pub refusal: crate::web::refused::Refused,
}

/// An optional fact as a form field's value: empty when unknown.
pub fn or_empty<T: std::fmt::Display>(value: Option<&T>) -> String {
    value.map(ToString::to_string).unwrap_or_default()
}

impl Chrome {
    /// The frame of a signed-in page; `section` is the nav entry it belongs to.
    pub fn new(console: &Console, title_key: &str, section: &str) -> Chrome {
        let lang = console.lang;
        let entries: &[(&'static str, &str)] = match console.caller.role {
            AccessRole::Admin => &[
                ("/console", "nav-overview"),
                ("/console/devices", "nav-devices"),
                ("/console/subscriptions", "nav-subscriptions"),
                ("/console/employees", "nav-employees"),
                ("/console/units", "nav-units"),
                ("/console/import", "nav-import"),
                ("/console/working-time", "nav-working-time"),
                ("/console/rollout", "nav-rollout"),
                ("/console/notices", "nav-notices"),
                ("/console/tokens", "nav-tokens"),
                ("/console/sign-in-settings", "nav-sign-in-settings"),
                ("/console/audit", "nav-audit"),
            ],
            AccessRole::Manager => &[
                ("/console/notices", "nav-notices"),
                ("/console/notices/new", "nav-compose"),
                ("/console/devices", "nav-devices"),
                ("/console/subscriptions", "nav-subscriptions"),
                ("/console/employees", "nav-employees"),
                ("/console/rollout", "nav-rollout"),
            ],
            AccessRole::Employee => &[("/console/me", "nav-me")],
            AccessRole::Scim => &[],
        };
        // A manager or admin who signed in as themselves also has their own working day.
        let own_day = (console.caller.role != AccessRole::Employee
            && console.caller.employee_id.is_some())
        .then_some(("/console/me", "nav-me"));
        let nav = entries
            .iter()
            .copied()
            .chain(own_day)
            .map(|(href, key)| NavLink {
                href,
                label: lang.t(key),
                current: key == section,
            })
            .collect();
        let mut chrome = Chrome::public(lang, title_key, &console.here);
        chrome.nav = nav;
        chrome.who = Some(console.caller.name.clone());
        chrome.csrf = console.csrf.clone();
        chrome.admin = console.caller.role == AccessRole::Admin;
        chrome.searcher = console.caller.role != AccessRole::Employee;
        chrome.refusal = console.refusal.clone().unwrap_or_default();
        chrome
    }

    /// The frame of a page anyone may see (sign-in, the accessibility statement).
    pub fn public(lang: Lang, title_key: &str, here: &str) -> Chrome {
        let other = lang.other();
        let query = serde_urlencoded::to_string([("next", here)]).unwrap_or_default();
        Chrome {
            lang,
            title: lang.t(title_key),
            nav: Vec::new(),
            who: None,
            csrf: String::new(),
            switch_href: format!("/console/language/{}?{query}", other.code()),
            switch_label: lang.t("switch-language"),
            css: assets::url("console.css"),
            js: assets::url("console.js"),
            admin: false,
            searcher: false,
            refusal: crate::web::refused::Refused::default(),
        }
    }

    /// What was typed into `field` when its form was refused, else `stored`: a field's
    /// value attribute.
    pub fn kept(&self, field: &str, stored: impl std::fmt::Display) -> String {
        self.refusal
            .value(field)
            .map_or_else(|| stored.to_string(), str::to_owned)
    }

    /// [`Chrome::kept`] for one of several forms on a page: what was typed only when the
    /// refused form is the one whose ids begin with `prefix`.
    pub fn kept_in(&self, prefix: &str, field: &str, stored: impl std::fmt::Display) -> String {
        if self.refusal.is_for(prefix) {
            self.kept(field, stored)
        } else {
            stored.to_string()
        }
    }

    /// Whether a checkbox or radio button is ticked: as it was when its form was
    /// refused, else as `stored` says.
    pub fn ticked(&self, field: &str, value: &str, stored: bool) -> bool {
        if self.refusal.is_empty() {
            stored
        } else {
            self.refusal.ticked(field, value)
        }
    }

    /// Whether `field` was refused (its input is marked `aria-invalid`).
    pub fn refused(&self, field: &str) -> bool {
        self.refusal.refuses(field)
    }

    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// A text with one number in it (plural forms are the language file's business).
    pub fn tn(&self, key: &str, count: impl Plain<i64>) -> String {
        self.lang
            .t_with(key, &[("count", FluentValue::from(count.plain()))])
    }

    /// A text with one named string in it.
    pub fn ts(&self, key: &str, name: &'static str, value: impl AsRef<str>) -> String {
        self.lang
            .t_with(key, &[(name, FluentValue::from(value.as_ref().to_owned()))])
    }

    /// "100 of 2 345 rows shown; download the file for all".
    pub fn rows_shown(&self, shown: usize, total: impl Plain<i64>) -> String {
        self.lang.t_with(
            "rows-shown",
            &[
                ("shown", FluentValue::from(shown as i64)),
                ("count", FluentValue::from(total.plain())),
            ],
        )
    }

    pub fn n(&self, n: impl Plain<i64>) -> String {
        format::count(self.lang, n.plain())
    }

    pub fn kr(&self, amount: impl Plain<Money>) -> String {
        format::money(self.lang, amount.plain())
    }

    /// A notice's priority in words.
    pub fn priority(&self, p: impl Plain<Priority>) -> String {
        self.term("priority", &p.plain())
    }

    /// A field's name (`serial_number`) in words: its column's heading, else its form
    /// label, else the name itself.
    ///
    /// A path into a body (`working_hours.tue[0].start`) is named part by part:
    /// "Arbetstid, tisdag, pass 1, börjar".
    pub fn field(&self, name: &str) -> String {
        if !name.contains(['.', '[']) {
            return self
                .field_word(name)
                .map_or_else(|| name.to_owned(), |w| capitalised(&w));
        }
        let mut words = Vec::new();
        for part in name.split('.') {
            let (base, index) = match part.split_once('[') {
                Some((base, rest)) => (base, rest.trim_end_matches(']').parse::<usize>().ok()),
                None => (part, None),
            };
            let Some(word) = self.field_word(base) else {
                // Any part without words: the whole path as it was, rather than half.
                return name.to_owned();
            };
            words.push(word);
            if let Some(i) = index {
                words.push(self.tn("field-item", (i + 1) as i64));
            }
        }
        capitalised(&words.join(", "))
    }

    /// One field name's words: its column's heading or its form label.
    fn field_word(&self, name: &str) -> Option<String> {
        let key = name.replace('_', "-");
        self.lang
            .try_t(&format!("col-{key}"))
            .or_else(|| self.lang.try_t(&format!("field-{key}")))
            .or_else(|| {
                self.lang
                    .try_t(&format!("day-{key}"))
                    .map(|d| d.to_lowercase())
            })
    }

    /// A message from the domain in this page's language where known.
    pub fn said(&self, message: &str) -> Said {
        self.lang.said(message)
    }

    /// A stored vocabulary's value (`DeviceKind::Phone`) in words.
    pub fn term<E: sea_orm::ActiveEnum<Value = String>>(&self, prefix: &str, value: &E) -> String {
        self.lang.term(prefix, value)
    }

    /// Every value of a stored vocabulary, in its declared order, as a form or a filter
    /// offers it: (the stored word, in words).
    pub fn choices<E>(&self, prefix: &str) -> Vec<(String, String)>
    where
        E: sea_orm::ActiveEnum<Value = String> + sea_orm::Iterable,
    {
        E::iter()
            .map(|value| (value.to_value(), self.term(prefix, &value)))
            .collect()
    }

    /// A stored word (`in_stock`) in words.
    pub fn word(&self, prefix: &str, value: &str) -> String {
        self.lang.word(prefix, value)
    }

    /// [`Chrome::word`] for an open vocabulary (the audit trail's actions and kinds):
    /// a value the language files do not know yet is shown as stored.
    pub fn word_or_same(&self, prefix: &str, value: &str) -> String {
        self.lang
            .try_t(&format!("{prefix}-{}", value.replace('_', "-")))
            .unwrap_or_else(|| value.to_owned())
    }

    /// When something happened (a history step, an audit event), in Swedish time to the
    /// second, with the offset only on the days the clocks change. A method so that
    /// templates reach it through the `c` they all have.
    #[allow(clippy::unused_self)]
    pub fn moment(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        crate::web::format::local_moment(*at, crate::schedules::DEFAULT_ZONE)
    }
}

/// `text` with its first letter a capital.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Renders a page template.
pub fn render<T: Template>(page: &T) -> WebResult<Response> {
    let html = page
        .render()
        .map_err(|e| WebError::App(anyhow::anyhow!("rendering a page failed: {e}").into()))?;
    Ok(Html(html).into_response())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    /// What the status means for the reader ("Något i formuläret behöver rättas").
    summary: String,
    /// What went wrong, when no field says it better.
    detail: Option<Said>,
    /// Each bad field (or import line) in words, and what is wrong with it.
    fields: Vec<(String, Said)>,
    back: String,
}

/// The page a refused or failed request answers with, in the reader's language: the
/// domain's messages translated where the language files know them, and a way back to
/// the page the request came from.
pub fn error_page(problem: &Problem, lang: Lang, back: &str) -> Html<String> {
    let c = Chrome::public(lang, "error-title", "/console");
    let fields: Vec<(String, Said)> = problem
        .errors
        .as_ref()
        .and_then(|e| e.as_array())
        .map(|items| {
            items
                .iter()
                .map(|item| {
                    let label = match (item.get("field").and_then(|f| f.as_str()), item.get("line"))
                    {
                        (Some(field), _) => c.field(field),
                        (None, Some(line)) => format!("{} {line}", c.t("col-line")),
                        (None, None) => String::new(),
                    };
                    let message = item
                        .get("message")
                        .and_then(|m| m.as_str())
                        .unwrap_or_default();
                    (label, lang.said(message))
                })
                .collect()
        })
        .unwrap_or_default();
    let summary = lang
        .try_t(&format!("error-status-{}", problem.status))
        .unwrap_or_else(|| format!("{} {}", lang.t("error-status"), problem.status));
    let page = ErrorPage {
        summary,
        detail: fields.is_empty().then(|| lang.said(&problem.detail)),
        fields,
        back: back.to_owned(),
        c,
    };
    Html(page.render().unwrap_or_else(|_| problem.detail.clone()))
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage {
    c: Chrome,
}

pub async fn not_found(visitor: Visitor) -> WebResult<Response> {
    let page = NotFoundPage {
        c: Chrome::public(visitor.lang, "not-found-title", "/console"),
    };
    Ok((StatusCode::NOT_FOUND, render(&page)?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_paths_into_a_body_are_named_in_words() {
        let sv = Chrome::public(Lang::Sv, "error-title", "/console");
        assert_eq!(sv.field("serial_number"), "Serienummer");
        assert_eq!(
            sv.field("working_hours.tue[0].start"),
            "Arbetstid, tisdag, nr 1, börjar"
        );
        assert_eq!(sv.field("shifts[2].ends_at"), "Pass, nr 3, slutar");
        // A part without words: the path as it came, not half of it translated.
        assert_eq!(
            sv.field("working_hours.tue[0].nonsense"),
            "working_hours.tue[0].nonsense"
        );
        let en = Chrome::public(Lang::En, "error-title", "/console");
        assert_eq!(
            en.field("working_hours.fri[1].end"),
            "Working hours, Friday, no. 2, ends"
        );
    }
}
