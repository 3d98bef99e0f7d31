//! The JSON Apple and Google receive, and how a notice's priority and expiry map onto
//! their headers and fields.
use a2::{
    CollapseId, NotificationOptions, Priority as ApnsPriority, PushType,
    request::payload::PayloadLike,
};
use serde::Serialize;
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

#[derive(Debug, Serialize)]
pub struct Data {
    pub notice_id: String,
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
            badge: push.count,
            sound: (push.priority != Priority::Info).then_some("default"),
            interruption_level: interruption_level(push.priority),
            thread_id: "stilla-notices",
        },
        data: Data {
            notice_id: push.notice_id.to_string(),
        },
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

/// The Android notification channel of each priority, which the app creates (README,
/// "For app builders"): the user and the app give each its own sound and importance,
/// so info can be quiet and urgent loud.
pub fn android_channel(priority: Priority) -> &'static str {
    match priority {
        Priority::Info => "stilla_info",
        Priority::Important => "stilla_important",
        Priority::Urgent => "stilla_urgent",
    }
}

/// The body of `POST /v1/projects/{project}/messages:send`.
pub fn fcm_message(push: &Push) -> Value {
    let mut android = json!({
        "priority": android_priority(push.priority),
        "collapse_key": push.collapse_key,
        "notification": {
            "notification_count": push.count,
            "channel_id": android_channel(push.priority),
            // Replaces a shown notification with the same tag (a repeat, a retry that
            // went twice); the collapse key only replaces undelivered messages.
            "tag": push.collapse_key,
        },
    });
    if let Some(expires_at) = push.expires_at {
        let seconds = (expires_at - push.now).num_seconds().max(0);
        android["ttl"] = Value::String(format!("{seconds}s"));
    }
    json!({
        "message": {
            "token": push.token,
            "notification": { "title": push.title, "body": push.body },
            "data": { "notice_id": push.notice_id.to_string() },
            "android": android,
        }
    })
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};
    use uuid::Uuid;

    use super::*;
    use crate::notices::limits::{MAX_BODY_CHARS, MAX_TITLE_CHARS};

    fn push(priority: Priority) -> Push {
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        Push {
            token: "device-token".to_owned(),
            title: "Ny rutin".to_owned(),
            body: "Läs före passet".to_owned(),
            notice_id: Uuid::nil(),
            count: 1,
            priority,
            expires_at: Some(now + Duration::minutes(90)),
            collapse_key: "notice-1".to_owned(),
            now,
        }
    }

    #[test]
    fn apns_json_carries_alert_levels_and_the_notice_id() {
        let p = push(Priority::Important);
        let payload = apns_payload(&p, "se.region.stilla");
        let json: Value = serde_json::from_str(&payload.to_json_string().unwrap()).unwrap();
        assert_eq!(
            json,
            json!({
                "aps": {
                    "alert": {"title": "Ny rutin", "body": "Läs före passet"},
                    "badge": 1,
                    "sound": "default",
                    "interruption-level": "active",
                    "thread-id": "stilla-notices"
                },
                "data": {"notice_id": Uuid::nil().to_string()}
            })
        );
        let options = payload.get_options();
        assert_eq!(
            options.apns_expiration,
            Some(p.expires_at.unwrap().timestamp() as u64)
        );
        assert!(matches!(options.apns_priority, Some(ApnsPriority::High)));
        assert_eq!(options.apns_topic, Some("se.region.stilla"));
        assert_eq!(payload.get_device_token(), "device-token");
    }

    #[test]
    fn priorities_map_to_each_providers_levels() {
        let info = apns_payload(&push(Priority::Info), "t")
            .to_json_string()
            .unwrap();
        assert!(
            info.contains("\"interruption-level\":\"passive\""),
            "{info}"
        );
        assert!(!info.contains("sound"), "info arrives silently: {info}");
        assert!(matches!(
            apns_priority(Priority::Info),
            ApnsPriority::Normal
        ));
        assert_eq!(interruption_level(Priority::Urgent), "time-sensitive");
        assert_eq!(
            fcm_message(&push(Priority::Info))["message"]["android"]["priority"],
            "NORMAL"
        );
        assert_eq!(
            fcm_message(&push(Priority::Important))["message"]["android"]["priority"],
            "HIGH"
        );
        for (priority, channel) in [
            (Priority::Info, "stilla_info"),
            (Priority::Important, "stilla_important"),
            (Priority::Urgent, "stilla_urgent"),
        ] {
            let android = &fcm_message(&push(priority))["message"]["android"];
            assert_eq!(android["notification"]["channel_id"], channel);
            assert_eq!(android["notification"]["tag"], "notice-1");
        }
        assert_eq!(
            fcm_message(&push(Priority::Urgent))["message"]["android"]["priority"],
            "HIGH"
        );
    }

    #[test]
    fn fcm_ttl_counts_seconds_until_expiry_and_is_absent_without_one() {
        let mut p = push(Priority::Info);
        let message = fcm_message(&p);
        assert_eq!(message["message"]["android"]["ttl"], "5400s");
        assert_eq!(message["message"]["token"], "device-token");
        assert_eq!(
            message["message"]["data"]["notice_id"],
            Uuid::nil().to_string()
        );
        assert_eq!(message["message"]["android"]["collapse_key"], "notice-1");
        p.expires_at = None;
        assert!(fcm_message(&p)["message"]["android"].get("ttl").is_none());
    }

    #[test]
    fn the_longest_allowed_notice_fits_apples_four_kilobytes() {
        // Four-byte characters and quotes (escaped to two bytes) are the worst case.
        let mut p = push(Priority::Urgent);
        p.title = "𝄞".repeat(MAX_TITLE_CHARS);
        p.body = "\"".repeat(MAX_BODY_CHARS / 2) + &"😀".repeat(MAX_BODY_CHARS / 2);
        p.count = 999;
        let json = apns_payload(&p, "t").to_json_string().unwrap();
        assert!(json.len() <= 4096, "{} bytes", json.len());
    }
}
