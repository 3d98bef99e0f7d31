//! What a device token and platform look like for each provider, checked when an app
//! registers: a malformed token is refused there with a 422 the app builder can act
//! on, instead of failing at every push and being retired after the first one.
use entities::vocab::{PushPlatform, PushProvider};
use sea_orm::ActiveEnum;

/// Longest token accepted (FCM tokens are about 160 characters, APNs 64 hex digits).
pub const MAX_TOKEN_CHARS: usize = 4096;

/// Apple: "device tokens are of variable length"; 32 bytes today, documented as up to
/// 100. Sent as hex.
const APNS_HEX_DIGITS: std::ops::RangeInclusive<usize> = 64..=200;

/// The token as it is stored and sent, or what is wrong with it. APNs tokens are hex,
/// written in lower case so that the same phone registered twice is one registration.
pub fn check_token(provider: PushProvider, token: &str) -> Result<String, String> {
    let token = token.trim();
    if token.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if token.chars().count() > MAX_TOKEN_CHARS || token.chars().any(char::is_whitespace) {
        return Err(format!(
            "must be one word of at most {MAX_TOKEN_CHARS} characters"
        ));
    }
    match provider {
        PushProvider::Apns => {
            let hex = token.chars().all(|c| c.is_ascii_hexdigit());
            if !hex || !APNS_HEX_DIGITS.contains(&token.len()) || !token.len().is_multiple_of(2) {
                return Err(format!(
                    "an APNs device token is the app's deviceToken in hexadecimal: an even \
                     number of {} to {} hex digits (64 today)",
                    APNS_HEX_DIGITS.start(),
                    APNS_HEX_DIGITS.end()
                ));
            }
            Ok(token.to_ascii_lowercase())
        }
        PushProvider::Fcm => {
            // Firebase's registration tokens use the URL-safe base64 alphabet and `:`.
            if token
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'))
            {
                Ok(token.to_owned())
            } else {
                Err(
                    "an FCM registration token holds only letters, digits, '-', '_' and ':'"
                        .to_owned(),
                )
            }
        }
        PushProvider::Log => Ok(token.to_owned()),
    }
}

/// The platform a registration pushes to: APNs only to iOS; FCM to Android unless the
/// app says `ios` or `web`; `log` to whatever it says, or none.
pub fn check_platform(
    provider: PushProvider,
    platform: Option<&str>,
) -> Result<Option<PushPlatform>, String> {
    let said = match platform {
        None => None,
        Some(word) => Some(
            PushPlatform::try_from_value(&word.trim().to_owned())
                .map_err(|_| "must be ios, android or web".to_owned())?,
        ),
    };
    match (provider, said) {
        (PushProvider::Apns, None | Some(PushPlatform::Ios)) => Ok(Some(PushPlatform::Ios)),
        (PushProvider::Apns, Some(_)) => Err("APNs pushes only to iOS apps".to_owned()),
        (PushProvider::Fcm, said) => Ok(Some(said.unwrap_or(PushPlatform::Android))),
        (PushProvider::Log, said) => Ok(said),
    }
}

/// The platform of a stored registration: as registered, or, for one made before the
/// platform was asked, what its provider implies.
pub fn platform_of(provider: PushProvider, stored: Option<PushPlatform>) -> Option<PushPlatform> {
    stored.or(match provider {
        PushProvider::Apns => Some(PushPlatform::Ios),
        PushProvider::Fcm => Some(PushPlatform::Android),
        PushProvider::Log => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apns_tokens_are_even_hex_of_the_documented_lengths_and_stored_lower_case() {
        let today = "A1".repeat(32);
        assert_eq!(
            check_token(PushProvider::Apns, &format!(" {today} ")),
            Ok("a1".repeat(32))
        );
        assert!(check_token(PushProvider::Apns, &"ab".repeat(100)).is_ok());
        for bad in [
            "ab".repeat(31),                 // too short
            "ab".repeat(101),                // too long
            format!("{}a", "ab".repeat(40)), // odd
            "zz".repeat(32),                 // not hex
            "work-phone".to_owned(),
        ] {
            assert!(check_token(PushProvider::Apns, &bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fcm_tokens_keep_to_firebases_alphabet() {
        let real = "dKx3_f9:APA91bH-Zq0f_token";
        assert_eq!(check_token(PushProvider::Fcm, real), Ok(real.to_owned()));
        for bad in ["tok/1", "tok+1", "tok=", "tök", "a b"] {
            assert!(check_token(PushProvider::Fcm, bad).is_err(), "{bad}");
        }
        assert!(check_token(PushProvider::Fcm, "").is_err());
        assert!(check_token(PushProvider::Fcm, &"a".repeat(MAX_TOKEN_CHARS + 1)).is_err());
        assert!(check_token(PushProvider::Log, "any.thing/at+all").is_ok());
    }

    #[test]
    fn platforms_follow_the_provider() {
        use PushPlatform::{Android, Ios, Web};
        assert_eq!(check_platform(PushProvider::Apns, None), Ok(Some(Ios)));
        assert_eq!(
            check_platform(PushProvider::Apns, Some("ios")),
            Ok(Some(Ios))
        );
        assert!(check_platform(PushProvider::Apns, Some("android")).is_err());
        assert_eq!(check_platform(PushProvider::Fcm, None), Ok(Some(Android)));
        assert_eq!(
            check_platform(PushProvider::Fcm, Some("ios")),
            Ok(Some(Ios))
        );
        assert_eq!(
            check_platform(PushProvider::Fcm, Some("web")),
            Ok(Some(Web))
        );
        assert!(check_platform(PushProvider::Fcm, Some("windows")).is_err());
        assert_eq!(check_platform(PushProvider::Log, None), Ok(None));
        assert_eq!(platform_of(PushProvider::Fcm, None), Some(Android));
        assert_eq!(platform_of(PushProvider::Fcm, Some(Ios)), Some(Ios));
        assert_eq!(platform_of(PushProvider::Apns, None), Some(Ios));
    }
}
