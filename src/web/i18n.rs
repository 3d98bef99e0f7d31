//! The console's texts, in Fluent files compiled into the binary (`locales/sv`,
//! `locales/en`). Swedish is the default; English is the second language.
use std::{borrow::Cow, collections::HashMap};

use fluent_templates::{LanguageIdentifier, Loader, fluent_bundle::FluentValue, langid};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./src/web/locales",
        fallback_language: "sv",
        // Bidi isolation marks around arguments would end up in attribute values and
        // copied numbers; every text here is left-to-right.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static SWEDISH: LanguageIdentifier = langid!("sv");
static ENGLISH: LanguageIdentifier = langid!("en");

/// A console language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    Sv,
    En,
}

impl Lang {
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "sv" => Some(Lang::Sv),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    /// The other language, offered by the switch in the header.
    #[must_use]
    pub fn other(self) -> Lang {
        match self {
            Lang::Sv => Lang::En,
            Lang::En => Lang::Sv,
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Sv => &SWEDISH,
            Lang::En => &ENGLISH,
        }
    }

    /// The text for `key`.
    pub fn t(self, key: &str) -> String {
        LOCALES.lookup(self.id(), key)
    }

    /// A stored word (`in_stock`) in words: the text for `{prefix}-in-stock`.
    pub fn word(self, prefix: &str, value: &str) -> String {
        self.t(&format!("{prefix}-{}", value.replace('_', "-")))
    }

    /// A stored vocabulary's value (`DeviceStatus::InStock`) in words.
    pub fn term<E: sea_orm::ActiveEnum<Value = String>>(self, prefix: &str, value: &E) -> String {
        self.word(prefix, &value.to_value())
    }

    /// The text for `key`, when the language files have one.
    pub fn try_t(self, key: &str) -> Option<String> {
        LOCALES.try_lookup(self.id(), key)
    }

    /// A message from the domain, which speaks English, in this language when the
    /// language files know it (as `problem-` and its words joined by hyphens), else as
    /// it came, marked as English.
    pub fn said(self, message: &str) -> Said {
        match self.try_t(&problem_key(message)) {
            Some(text) => Said {
                text,
                lang: self.code(),
            },
            None => Said {
                text: message.to_owned(),
                lang: Lang::En.code(),
            },
        }
    }

    /// The text for `key` with named arguments.
    pub fn t_with(self, key: &str, args: &[(&'static str, FluentValue<'static>)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), v.clone()))
            .collect();
        LOCALES.lookup_with_args(self.id(), key, &args)
    }
}

/// A text and the language it is in, for the element's `lang` attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Said {
    pub text: String,
    pub lang: &'static str,
}

/// The key of a domain message's translation: "must not be empty" ->
/// `problem-must-not-be-empty`.
fn problem_key(message: &str) -> String {
    let mut key = String::from("problem");
    for word in message
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        key.push('-');
        key.push_str(&word.to_ascii_lowercase());
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key in one language exists in the other, so no page falls back silently.
    #[test]
    fn both_languages_have_the_same_keys() {
        let keys = |text: &str| -> std::collections::BTreeSet<String> {
            text.lines()
                .filter(|l| !l.starts_with([' ', '#', '\t', '.', '[', '*']) && l.contains(" ="))
                .map(|l| l.split(" =").next().unwrap_or_default().to_owned())
                .collect()
        };
        let sv = keys(include_str!("locales/sv/console.ftl"));
        let en = keys(include_str!("locales/en/console.ftl"));
        assert!(sv.len() > 20, "the Swedish file has its texts");
        assert_eq!(
            sv.symmetric_difference(&en).collect::<Vec<_>>(),
            Vec::<&String>::new()
        );
    }

    #[test]
    fn domain_messages_are_translated_when_known_and_marked_english_when_not() {
        assert_eq!(
            problem_key("a date, YYYY-MM-DD"),
            "problem-a-date-yyyy-mm-dd"
        );
        let known = Lang::Sv.said("must not be empty");
        assert_eq!(
            (known.text.as_str(), known.lang),
            ("får inte vara tomt", "sv")
        );
        let english = Lang::En.said("must not be empty");
        assert_eq!(english.lang, "en");
        let unknown = Lang::Sv.said("overlaps the shift on line 4");
        assert_eq!(
            (unknown.text.as_str(), unknown.lang),
            ("overlaps the shift on line 4", "en")
        );
    }

    #[test]
    fn looks_up_each_language_and_fills_arguments() {
        assert_eq!(Lang::Sv.t("sign-in"), "Logga in");
        assert_eq!(Lang::En.t("sign-in"), "Sign in");
        let n = [("count", FluentValue::from(3))];
        assert_eq!(Lang::Sv.t_with("rows-count", &n), "3 rader");
        assert_eq!(Lang::En.t_with("rows-count", &n), "3 rows");
    }
}
