//! How long a notice may be. APNs refuses payloads over 4 KB; at these lengths even
//! four-byte characters leave room for the rest of the payload (tested in
//! `push::payload`).
pub const MAX_TITLE_CHARS: usize = 120;
pub const MAX_BODY_CHARS: usize = 700;
pub const MAX_URGENT_REASON_CHARS: usize = 500;
/// A notice may be planned at most this far ahead.
pub const MAX_SEND_AHEAD_DAYS: i64 = 90;
