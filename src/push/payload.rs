//! The JSON Apple and Google receive, and how a notice's priority and expiry map onto
//! their headers and fields.
use a2::{
    CollapseId, NotificationOptions, Priority as ApnsPriority, PushType,
    request::payload::PayloadLike,
};
use entities::vocab::PushPlatform;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Push;
use crate::reachability::Priority;

/// The `aps` dictionary, with the keys a2's own type lacks (`interruption-level`,
/// `thread-id`).
#[derive(Debug, Serialize)]
pub struct Aps<'a> {
    pub alert: Alert<'a>,
    pub badge: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sound: Option<&'static str>,
    #[serde(rename = "interruption-level")]
    pub interruption_level: &'static str,
    #[serde(rename = "thread-id")]
    pub thread_id: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Alert<'a> {
    pub title: &'a str,
    pub body: &'a str,
}

/// The custom keys every push carries, the same through APNs and each FCM platform
/// (README, "For app builders"); FCM wants string values, so all are strings.
#[derive(Debug, Serialize)]
pub struct Data {
    /// The notice to open; for a digest, the newest of its notices.
    pub notice_id: String,
    /// `info`, `important` or `urgent`: the push's (a digest's highest).
    pub priority: String,
    /// How many notices the push stands for: `1`, or a digest's size.
    pub count: String,
}

impl Data {
    fn of(push: &Push) -> Self {
        Self {
            notice_id: push.notice_id.to_string(),
            priority: push.priority.to_string(),
            count: push.count.to_string(),
        }
    }
}

/// Stilla's APNs payload, which a2 sends through its [`PayloadLike`] trait.
#[derive(Debug, Serialize)]
pub struct ApnsPayload<'a> {
    pub aps: Aps<'a>,
    pub data: Data,
    #[serde(skip)]
    device_token: &'a str,
    #[serde(skip)]
    options: NotificationOptions<'a>,
}

impl PayloadLike for ApnsPayload<'_> {
    fn get_device_token(&self) -> &str {
        self.device_token
    }

    fn get_options(&self) -> &NotificationOptions<'_> {
        &self.options
    }
}

/// Notification Center treatment: info arrives quietly, important lights the screen,
/// urgent breaks through Focus modes (it has been justified and is audited).
pub fn interruption_level(priority: Priority) -> &'static str {
    match priority {
        Priority::Info => "passive",
        Priority::Important => "active",
        Priority::Urgent => "time-sensitive",
    }
}

/// `apns-priority`: 5 lets iOS save power for info; 10 delivers at once.
pub fn apns_priority(priority: Priority) -> ApnsPriority {
    match priority {
        Priority::Info => ApnsPriority::Normal,
        Priority::Important | Priority::Urgent => ApnsPriority::High,
    }
}

pub fn apns_payload<'a>(push: &'a Push, topic: &'a str) -> ApnsPayload<'a> {
    ApnsPayload {
        aps: Aps {
            alert: Alert {
                title: &push.title,
                body: &push.body,
            },
            badge: push.unread,
            sound: (push.priority != Priority::Info).then_some("default"),
            interruption_level: interruption_level(push.priority),
            thread_id: "stilla-notices",
        },
        data: Data::of(push),
        device_token: &push.token,
        options: NotificationOptions {
            apns_id: None,
            apns_push_type: Some(PushType::Alert),
            // 0 would mean "deliver now or never"; a past expiry is never pushed at all.
            apns_expiration: push
                .expires_at
                .map(|at| u64::try_from(at.timestamp()).unwrap_or(0)),
            apns_priority: Some(apns_priority(push.priority)),
            apns_topic: Some(topic),
            apns_collapse_id: CollapseId::new(&push.collapse_key).ok(),
        },
    }
}

/// FCM HTTP v1 `android.priority`: important and urgent wake a dozing phone, as APNs
/// priority 10 does (at `NORMAL` Doze may hold them past their window, then `ttl`
/// drops them); info waits for the phone's next wake-up.
pub fn android_priority(priority: Priority) -> &'static str {
    match priority {
        Priority::Info => "NORMAL",
        Priority::Important | Priority::Urgent => "HIGH",
    }
}

/// `[push.android_channels]`: the Android notification channel of each priority, which
/// the app creates (README, "For app builders"): the user and the app give each its own
/// sound and importance, so info can be quiet and urgent loud.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct AndroidChannels {
    pub info: String,
    pub important: String,
    pub urgent: String,
}

impl Default for AndroidChannels {
    fn default() -> Self {
        Self {
            info: "stilla_info".to_owned(),
            important: "stilla_important".to_owned(),
            urgent: "stilla_urgent".to_owned(),
        }
    }
}

impl AndroidChannels {
    pub fn of(&self, priority: Priority) -> &str {
        match priority {
            Priority::Info => &self.info,
            Priority::Important => &self.important,
            Priority::Urgent => &self.urgent,
        }
    }
}

/// Web Push `Urgency` (RFC 8030 §5.3), as Android's priority: info may wait for the
/// browser's next wake-up.
pub fn web_urgency(priority: Priority) -> &'static str {
    match priority {
        Priority::Info => "normal",
        Priority::Important | Priority::Urgent => "high",
    }
}

/// The body of `POST /v1/projects/{project}/messages:send`: the common notification and
/// data, and the block of the platform the registration is on — Android (also for
/// registrations that did not say), iOS (the same headers and `aps` as a direct APNs
/// push) or web.
pub fn fcm_message(push: &Push, channels: &AndroidChannels) -> Value {
    let ttl_seconds = push
        .expires_at
        .map(|expires_at| (expires_at - push.now).num_seconds().max(0));
    let mut message = json!({
        "token": push.token,
        "notification": { "title": push.title, "body": push.body },
        "data": Data::of(push),
    });
    match push.platform {
        Some(PushPlatform::Ios) => message["apns"] = apns_block(push),
        Some(PushPlatform::Web) => {
            let mut headers = json!({ "Urgency": web_urgency(push.priority) });
            if let Some(seconds) = ttl_seconds {
                headers["TTL"] = Value::String(seconds.to_string());
            }
            message["webpush"] = json!({
                "headers": headers,
                "notification": {
                    // Replaces a shown notification with the same tag, as on Android.
                    "tag": push.collapse_key,
                    // Urgent stays on screen until the person acts; info makes no sound.
                    "requireInteraction": push.priority == Priority::Urgent,
                    "silent": push.priority == Priority::Info,
                },
            });
        }
        Some(PushPlatform::Android) | None => {
            let mut android = json!({
                "priority": android_priority(push.priority),
                "collapse_key": push.collapse_key,
                "notification": {
                    "notification_count": push.count,
                    "channel_id": channels.of(push.priority),
                    // Replaces a shown notification with the same tag (a repeat, a retry
                    // that went twice); the collapse key only replaces undelivered ones.
                    "tag": push.collapse_key,
                },
            });
            if let Some(seconds) = ttl_seconds {
                android["ttl"] = Value::String(format!("{seconds}s"));
            }
            message["android"] = android;
        }
    }
    json!({ "message": message })
}

/// FCM's `apns` block for an iOS app: the headers and payload Stilla would send Apple
/// directly ([`apns_payload`]), so that the phone cannot tell the two paths apart.
fn apns_block(push: &Push) -> Value {
    let direct = apns_payload(push, "");
    let options = direct.get_options();
    let mut headers = json!({
        "apns-push-type": "alert",
        "apns-priority": apns_priority(push.priority).to_string(),
    });
    if let Some(expiration) = options.apns_expiration {
        headers["apns-expiration"] = Value::String(expiration.to_string());
    }
    if let Some(collapse_id) = &options.apns_collapse_id {
        headers["apns-collapse-id"] = Value::String(collapse_id.value.to_owned());
    }
    json!({
        "headers": headers,
        "payload": serde_json::to_value(&direct).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;
    use crate::notices::limits::{MAX_BODY_CHARS, MAX_TITLE_CHARS};

    const NOTICE: &str = "018f2b6e-0000-7000-8000-000000000001";

    /// A digest of three, to a person with five unread, expiring in 90 minutes.
    fn push(priority: Priority, platform: Option<PushPlatform>) -> Push {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        Push {
            token: "device-token".to_owned(),
            title: "Ny rutin".to_owned(),
            body: "Läs före passet".to_owned(),
            notice_id: NOTICE.parse().unwrap(),
            count: 3,
            unread: 5,
            platform,
            priority,
            expires_at: Some(now + Duration::minutes(90)),
            collapse_key: "notice-1".to_owned(),
            now,
        }
    }

    /// 09:00 + 90 min, 2 March 2026, in Unix seconds.
    const EXPIRES: u64 = 1_772_447_400;

    /// What each priority becomes on each platform.
    struct Level {
        priority: Priority,
        interruption: &'static str,
        sound: Option<&'static str>,
        apns_priority: &'static str,
        android_priority: &'static str,
        channel: &'static str,
        urgency: &'static str,
        require_interaction: bool,
        silent: bool,
    }

    const LEVELS: [Level; 3] = [
        Level {
            priority: Priority::Info,
            interruption: "passive",
            sound: None,
            apns_priority: "5",
            android_priority: "NORMAL",
            channel: "stilla_info",
            urgency: "normal",
            require_interaction: false,
            silent: true,
        },
        Level {
            priority: Priority::Important,
            interruption: "active",
            sound: Some("default"),
            apns_priority: "10",
            android_priority: "HIGH",
            channel: "stilla_important",
            urgency: "high",
            require_interaction: false,
            silent: false,
        },
        Level {
            priority: Priority::Urgent,
            interruption: "time-sensitive",
            sound: Some("default"),
            apns_priority: "10",
            android_priority: "HIGH",
            channel: "stilla_urgent",
            urgency: "high",
            require_interaction: true,
            silent: false,
        },
    ];

    fn data(priority: &str) -> Value {
        json!({"notice_id": NOTICE, "priority": priority, "count": "3"})
    }

    fn aps(level: &str, sound: Option<&str>) -> Value {
        let mut aps = json!({
            "alert": {"title": "Ny rutin", "body": "Läs före passet"},
            "badge": 5,
            "interruption-level": level,
            "thread-id": "stilla-notices"
        });
        if let Some(sound) = sound {
            aps["sound"] = json!(sound);
        }
        aps
    }

    #[test]
    fn apns_payload_and_headers_for_each_priority() {
        for l in LEVELS {
            let (priority, level, sound, apns_prio) =
                (l.priority, l.interruption, l.sound, l.apns_priority);
            let p = push(priority, None);
            let payload = apns_payload(&p, "se.region.stilla");
            let json: Value = serde_json::from_str(&payload.to_json_string().unwrap()).unwrap();
            let word = priority.to_string();
            assert_eq!(
                json,
                json!({"aps": aps(level, sound), "data": data(&word)}),
                "{word}"
            );
            let options = payload.get_options();
            assert_eq!(options.apns_expiration, Some(EXPIRES));
            assert_eq!(
                options.apns_priority.as_ref().map(ToString::to_string),
                Some(apns_prio.to_owned())
            );
            assert_eq!(options.apns_topic, Some("se.region.stilla"));
            assert!(matches!(options.apns_push_type, Some(PushType::Alert)));
            assert_eq!(
                options.apns_collapse_id.as_ref().map(|c| c.value),
                Some("notice-1")
            );
            assert_eq!(payload.get_device_token(), "device-token");
        }
    }

    #[test]
    fn fcm_message_for_android_and_registrations_that_did_not_say() {
        for platform in [Some(PushPlatform::Android), None] {
            for l in LEVELS {
                let (priority, android_prio, channel) = (l.priority, l.android_priority, l.channel);
                let word = priority.to_string();
                assert_eq!(
                    fcm_message(&push(priority, platform), &AndroidChannels::default()),
                    json!({"message": {
                        "token": "device-token",
                        "notification": {"title": "Ny rutin", "body": "Läs före passet"},
                        "data": data(&word),
                        "android": {
                            "priority": android_prio,
                            "collapse_key": "notice-1",
                            "ttl": "5400s",
                            "notification": {
                                "notification_count": 3,
                                "channel_id": channel,
                                "tag": "notice-1"
                            }
                        }
                    }}),
                    "{word} {platform:?}"
                );
            }
        }
    }

    #[test]
    fn fcm_message_for_ios_carries_what_a_direct_apns_push_does() {
        for l in LEVELS {
            let (priority, level, sound, apns_prio) =
                (l.priority, l.interruption, l.sound, l.apns_priority);
            let word = priority.to_string();
            assert_eq!(
                fcm_message(
                    &push(priority, Some(PushPlatform::Ios)),
                    &AndroidChannels::default()
                ),
                json!({"message": {
                    "token": "device-token",
                    "notification": {"title": "Ny rutin", "body": "Läs före passet"},
                    "data": data(&word),
                    "apns": {
                        "headers": {
                            "apns-push-type": "alert",
                            "apns-priority": apns_prio,
                            "apns-expiration": EXPIRES.to_string(),
                            "apns-collapse-id": "notice-1"
                        },
                        "payload": {"aps": aps(level, sound), "data": data(&word)}
                    }
                }}),
                "{word}"
            );
        }
    }

    #[test]
    fn fcm_message_for_web() {
        for l in LEVELS {
            let (priority, urgency, require_interaction, silent) =
                (l.priority, l.urgency, l.require_interaction, l.silent);
            let word = priority.to_string();
            assert_eq!(
                fcm_message(
                    &push(priority, Some(PushPlatform::Web)),
                    &AndroidChannels::default()
                ),
                json!({"message": {
                    "token": "device-token",
                    "notification": {"title": "Ny rutin", "body": "Läs före passet"},
                    "data": data(&word),
                    "webpush": {
                        "headers": {"Urgency": urgency, "TTL": "5400"},
                        "notification": {
                            "tag": "notice-1",
                            "requireInteraction": require_interaction,
                            "silent": silent
                        }
                    }
                }}),
                "{word}"
            );
        }
    }

    #[test]
    fn without_an_expiry_no_platform_gets_one() {
        for platform in [
            Some(PushPlatform::Android),
            Some(PushPlatform::Ios),
            Some(PushPlatform::Web),
        ] {
            let mut p = push(Priority::Info, platform);
            p.expires_at = None;
            let message = fcm_message(&p, &AndroidChannels::default())["message"].clone();
            assert!(message["android"].get("ttl").is_none());
            assert!(message["apns"]["headers"].get("apns-expiration").is_none());
            assert!(message["webpush"]["headers"].get("TTL").is_none());
            assert_eq!(apns_payload(&p, "t").get_options().apns_expiration, None);
        }
        // An expiry already past is sent as a ttl of zero, never a negative one.
        let mut late = push(Priority::Info, None);
        late.expires_at = Some(late.now - Duration::seconds(5));
        assert_eq!(
            fcm_message(&late, &AndroidChannels::default())["message"]["android"]["ttl"],
            "0s"
        );
    }

    #[test]
    fn configured_channel_ids_are_named() {
        let channels = AndroidChannels {
            info: "region_quiet".to_owned(),
            important: "region_normal".to_owned(),
            urgent: "region_alarm".to_owned(),
        };
        for (priority, channel) in [
            (Priority::Info, "region_quiet"),
            (Priority::Important, "region_normal"),
            (Priority::Urgent, "region_alarm"),
        ] {
            assert_eq!(
                fcm_message(&push(priority, None), &channels)["message"]["android"]["notification"]
                    ["channel_id"],
                channel
            );
        }
    }

    #[test]
    fn the_longest_allowed_notice_fits_apples_four_kilobytes() {
        // Four-byte characters and quotes (escaped to two bytes) are the worst case.
        let mut p = push(Priority::Urgent, Some(PushPlatform::Ios));
        p.title = "𝄞".repeat(MAX_TITLE_CHARS);
        p.body = "\"".repeat(MAX_BODY_CHARS / 2) + &"😀".repeat(MAX_BODY_CHARS / 2);
        p.count = 999;
        p.unread = 9_999;
        let json = apns_payload(&p, "t").to_json_string().unwrap();
        assert!(json.len() <= 4096, "{} bytes", json.len());
        // FCM's limit is 4,096 bytes of payload too, for the iOS block as for Apple.
        let block =
            fcm_message(&p, &AndroidChannels::default())["message"]["apns"]["payload"].to_string();
        assert!(block.len() <= 4096, "{} bytes", block.len());
    }
}
