//! The list filters provisioning clients send (RFC 7644 §3.4.2.2): an equality on one
//! attribute, as Entra ID asks "is there a user with this userName?" before creating
//! one. The expression is parsed by the `scim-filter` crate; the equalities Stilla
//! answers from the database are these, and anything else is refused as
//! `invalidFilter` (never answered as if it matched everything).
use scim_filter::parser::{AttrExpData, CompValue, CompareOp, Filter};

use super::ScimError;

/// An attribute compared for equality with a string.
#[derive(Debug, PartialEq, Eq)]
pub struct Equality {
    /// The attribute's name, lowercase (`username`, `externalid`, `displayname`).
    pub attribute: String,
    pub value: String,
}

/// The filter of a list request; `None` for no filter. `allowed` are the attributes
/// (lowercase) the resource can be filtered by.
pub fn parse(filter: Option<&str>, allowed: &[&str]) -> Result<Option<Equality>, ScimError> {
    let Some(filter) = filter.map(str::trim).filter(|f| !f.is_empty()) else {
        return Ok(None);
    };
    let refused = || {
        ScimError::new(
            400,
            Some("invalidFilter"),
            format!(
                "Stilla filters by one equality on {} (`userName eq \"…\"`), not by {filter}",
                allowed.join(", ")
            ),
        )
    };
    let Ok(("", parsed)) = scim_filter::parser::filter(filter) else {
        return Err(refused());
    };
    let Filter::AttrExp(AttrExpData::Compare(path, CompareOp::Equal, CompValue::String(value))) =
        parsed
    else {
        return Err(refused());
    };
    let attribute = path.attr_name().to_ascii_lowercase();
    if path.sub_attr().is_some() || !allowed.contains(&attribute.as_str()) {
        return Err(refused());
    }
    Ok(Some(Equality {
        attribute,
        value: value.to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const USERS: &[&str] = &["username", "externalid", "displayname"];

    #[test]
    fn equalities_are_read_and_the_rest_refused() {
        assert_eq!(
            parse(Some("userName eq \"anna@region.se\""), USERS).unwrap(),
            Some(Equality {
                attribute: "username".to_owned(),
                value: "anna@region.se".to_owned()
            })
        );
        assert_eq!(
            parse(Some("externalId EQ \"e-1\""), USERS)
                .unwrap()
                .unwrap()
                .attribute,
            "externalid"
        );
        assert_eq!(parse(None, USERS).unwrap(), None);
        for refused in [
            "userName co \"a\"",
            "title eq \"x\"",
            "userName eq \"a\" or userName eq \"b\"",
            "emails.value eq \"a\"",
            "userName eq",
        ] {
            let err = parse(Some(refused), USERS).unwrap_err();
            assert_eq!(err.scim_type, Some("invalidFilter"), "{refused}");
        }
    }
}
