//! Provider health: one circuit per credential set (the service's APNs or FCM
//! credentials, or one tenant app's side), so that a fault of configuration never
//! costs a push or a registration.
//!
//! - Credentials or configuration refused (a wrong key, topic, project; a token
//!   endpoint that says no) open the circuit: nothing goes out with that set but one
//!   probe at a time, backing off; the held rows stay `scheduled` until it heals or
//!   their window or expiry ends.
//! - A provider that asks for a pause (429, quota, 503 with or without `Retry-After`)
//!   pauses the set for every row, not only the one it answered.
//! - A token refused retires its registration only while the set is otherwise
//!   healthy: it has delivered lately and most of its recent answers were not
//!   refusals. Most tokens refused at once is a wrong topic, environment or project —
//!   a configuration fault — not a mass uninstall.
//!
//! The state is each process's own (several dispatchers each find a fault on their
//! own first push); a change is logged, audited and shown in `/readyz`.
use std::{
    collections::{HashMap, VecDeque},
    fmt,
    sync::Mutex,
    time::Duration,
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{PushOutcome, PushProvider};

/// Which credentials a push goes out with.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CredentialSet {
    pub provider: PushProvider,
    /// A tenant's own app (tenant, app id); `None` for the service's credentials.
    pub app: Option<(Uuid, String)>,
}

impl CredentialSet {
    pub fn service(provider: PushProvider) -> Self {
        Self {
            provider,
            app: None,
        }
    }

    /// A stable id for the audit trail: the set is not a row of its own.
    pub fn id(&self) -> Uuid {
        Uuid::new_v5(
            &Uuid::NAMESPACE_OID,
            format!("stilla.push.{self}").as_bytes(),
        )
    }
}

impl fmt::Display for CredentialSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.app {
            None => write!(f, "{}", self.provider),
            Some((tenant, app)) => write!(f, "{}/{tenant}/{app}", self.provider),
        }
    }
}

/// `[push.health]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthConfig {
    /// The first probe after a configuration fault; each failed probe doubles the wait.
    pub probe_after_seconds: u64,
    /// The longest wait between probes.
    pub probe_max_seconds: u64,
    /// A pause asked for without saying how long (`Retry-After` missing).
    pub pause_seconds: u64,
    /// Answers remembered per set to judge token refusals by...
    pub window: usize,
    /// ...of which at least this many before most refusals open the circuit.
    pub min_sample: usize,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            probe_after_seconds: 10,
            probe_max_seconds: 300,
            pause_seconds: 10,
            window: 20,
            min_sample: 8,
        }
    }
}

/// Whether a push may go out now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    Go,
    /// Not now: back in the queue until `until`.
    Hold {
        until: DateTime<Utc>,
        reason: String,
    },
}

/// What an answer means once the set's health is taken into account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The provider's outcome stands.
    Outcome(PushOutcome),
    /// The fault is the set's, not the row's: back in the queue, untouched, until then.
    Hold {
        until: DateTime<Utc>,
        reason: String,
    },
}

/// A set's state, as `/readyz` and the audit trail show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    Healthy,
    /// Credentials or configuration refused; one probe at `probe_at`.
    Open {
        reason: String,
        since: DateTime<Utc>,
        probe_at: DateTime<Utc>,
        failed_probes: u32,
    },
    /// The provider asked for a pause.
    Paused {
        reason: String,
        until: DateTime<Utc>,
    },
}

/// A change worth an audit event: a circuit opened or healed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub set: CredentialSet,
    pub from: State,
    pub to: State,
}

struct Circuit {
    state: State,
    /// Recent answers that said something about tokens: `true` for a refusal.
    recent: VecDeque<bool>,
    /// A probe is out (since when): others wait for its answer.
    probing: Option<DateTime<Utc>>,
}

impl Circuit {
    fn new() -> Self {
        Self {
            state: State::Healthy,
            recent: VecDeque::new(),
            probing: None,
        }
    }
}

/// How long the rows behind a probe wait for its answer before asking again.
const PROBE_PATIENCE: chrono::Duration = chrono::Duration::seconds(5);

/// The circuits of every credential set this process has pushed with.
#[derive(Default)]
pub struct ProviderHealth {
    config: HealthConfig,
    circuits: Mutex<HashMap<CredentialSet, Circuit>>,
}

impl fmt::Debug for ProviderHealth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderHealth")
            .field("sets", &self.snapshot())
            .finish_non_exhaustive()
    }
}

impl ProviderHealth {
    pub fn new(config: HealthConfig) -> Self {
        Self {
            config,
            circuits: Mutex::default(),
        }
    }

    /// May a push go out with `set` now? While the circuit is open, one push at a time
    /// goes as the probe once its time has come.
    pub fn admit(&self, set: &CredentialSet, now: DateTime<Utc>) -> Admission {
        let mut circuits = self.circuits.lock().expect("not poisoned");
        let Some(circuit) = circuits.get_mut(set) else {
            return Admission::Go;
        };
        match &circuit.state {
            State::Healthy => Admission::Go,
            State::Paused { until, .. } if *until <= now => {
                circuit.state = State::Healthy;
                Admission::Go
            }
            State::Paused { reason, until } => Admission::Hold {
                until: *until,
                reason: reason.clone(),
            },
            State::Open {
                reason, probe_at, ..
            } => {
                let probe_out = circuit
                    .probing
                    .is_some_and(|since| since + PROBE_PATIENCE * 12 > now);
                if *probe_at <= now && !probe_out {
                    circuit.probing = Some(now);
                    Admission::Go
                } else {
                    Admission::Hold {
                        until: Ord::max(*probe_at, now + PROBE_PATIENCE),
                        reason: reason.clone(),
                    }
                }
            }
        }
    }

    /// Takes in a provider's answer for a push made with `set`: what it means for the
    /// rows, and the change of state it caused, if any.
    pub fn observe(
        &self,
        set: &CredentialSet,
        outcome: PushOutcome,
        now: DateTime<Utc>,
    ) -> (Verdict, Option<Change>) {
        let mut circuits = self.circuits.lock().expect("not poisoned");
        let circuit = circuits.entry(set.clone()).or_insert_with(Circuit::new);
        let before = circuit.state.clone();
        let verdict = match outcome {
            PushOutcome::Sent => {
                self.remember(circuit, false);
                circuit.probing = None;
                if matches!(circuit.state, State::Open { .. }) {
                    circuit.state = State::Healthy;
                }
                Verdict::Outcome(PushOutcome::Sent)
            }
            PushOutcome::Misconfigured { error } => self.open(circuit, error, now),
            PushOutcome::Busy { error, retry_after } => {
                let wait = retry_after.unwrap_or(Duration::from_secs(self.config.pause_seconds));
                let until = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
                // An open circuit stays open: the pause says nothing of the credentials.
                if !matches!(circuit.state, State::Open { .. }) {
                    circuit.state = State::Paused {
                        reason: error.clone(),
                        until,
                    };
                }
                Verdict::Hold {
                    until,
                    reason: error,
                }
            }
            PushOutcome::TokenGone { reason } => {
                self.remember(circuit, true);
                let refused = circuit.recent.iter().filter(|r| **r).count();
                let delivered = circuit.recent.len() - refused;
                if matches!(circuit.state, State::Open { .. }) {
                    circuit.probing = None;
                    self.open(circuit, reason, now)
                } else if circuit.recent.len() >= self.config.min_sample.max(1)
                    && refused * 2 > circuit.recent.len()
                {
                    self.open(
                        circuit,
                        format!(
                            "most tokens refused ({refused} of the last {}), last: {reason} — \
                             a wrong topic, environment or project?",
                            circuit.recent.len()
                        ),
                        now,
                    )
                } else if delivered == 0 {
                    // Nothing has proved these credentials yet: the refusal may be
                    // theirs. Try the row again later; retire nothing.
                    Verdict::Outcome(PushOutcome::Retry {
                        error: format!("{reason} (kept until the credentials have delivered)"),
                        retry_after: None,
                    })
                } else {
                    Verdict::Outcome(PushOutcome::TokenGone { reason })
                }
            }
            other @ (PushOutcome::Retry { .. } | PushOutcome::Failed { .. }) => {
                Verdict::Outcome(other)
            }
        };
        // Opening and healing are changes; a pause, or a refused probe, is not.
        let opened_or_healed = std::mem::discriminant(&before)
            != std::mem::discriminant(&circuit.state)
            && !matches!(circuit.state, State::Paused { .. })
            && !matches!(before, State::Paused { .. });
        let was_paused = matches!(before, State::Paused { .. });
        let change = opened_or_healed.then(|| Change {
            set: set.clone(),
            from: before,
            to: circuit.state.clone(),
        });
        if let Some(change) = &change {
            if let State::Open { reason, .. } = &change.to {
                tracing::error!(credentials = %set, %reason, "push credentials refused; pushes held until a probe succeeds");
            } else {
                tracing::info!(credentials = %set, "push credentials work again");
            }
        } else if let (State::Paused { reason, until }, false) = (&circuit.state, was_paused) {
            tracing::warn!(credentials = %set, %reason, %until, "provider asked for a pause");
        }
        (verdict, change)
    }

    /// Opens the circuit, or keeps it open with the next probe further off.
    fn open(&self, circuit: &mut Circuit, reason: String, now: DateTime<Utc>) -> Verdict {
        let (since, failed_probes) = match &circuit.state {
            State::Open {
                since,
                failed_probes,
                ..
            } => (*since, failed_probes + 1),
            _ => (now, 0),
        };
        let wait = self
            .config
            .probe_after_seconds
            .saturating_mul(1 << failed_probes.min(16))
            .min(self.config.probe_max_seconds)
            .max(1);
        let probe_at = now + chrono::Duration::seconds(i64::try_from(wait).unwrap_or(i64::MAX));
        circuit.probing = None;
        circuit.state = State::Open {
            reason: reason.clone(),
            since,
            probe_at,
            failed_probes,
        };
        Verdict::Hold {
            until: probe_at,
            reason,
        }
    }

    fn remember(&self, circuit: &mut Circuit, refused: bool) {
        circuit.recent.push_back(refused);
        while circuit.recent.len() > self.config.window.max(1) {
            circuit.recent.pop_front();
        }
    }

    /// Every set's state, for `/readyz`.
    pub fn snapshot(&self) -> Vec<(CredentialSet, State)> {
        let circuits = self.circuits.lock().expect("not poisoned");
        let mut all: Vec<_> = circuits
            .iter()
            .map(|(set, c)| (set.clone(), c.state.clone()))
            .collect();
        all.sort_by_cached_key(|(set, _)| set.to_string());
        all
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(seconds: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 7, 0, 0).unwrap() + chrono::Duration::seconds(seconds)
    }

    fn apns() -> CredentialSet {
        CredentialSet::service(PushProvider::Apns)
    }

    fn refused() -> PushOutcome {
        PushOutcome::Misconfigured {
            error: "APNs 403: InvalidProviderToken".into(),
        }
    }

    fn gone() -> PushOutcome {
        PushOutcome::TokenGone {
            reason: "APNs 410: Unregistered".into(),
        }
    }

    fn is_hold(verdict: &Verdict) -> bool {
        matches!(verdict, Verdict::Hold { .. })
    }

    #[test]
    fn refused_credentials_open_the_circuit_and_probes_back_off_one_at_a_time() {
        let health = ProviderHealth::default();
        let (verdict, change) = health.observe(&apns(), refused(), t(0));
        assert_eq!(
            verdict,
            Verdict::Hold {
                until: t(10),
                reason: "APNs 403: InvalidProviderToken".into()
            }
        );
        assert!(matches!(change.unwrap().to, State::Open { .. }));
        // Nothing goes before the probe; then one goes, the others wait for it.
        assert!(
            matches!(health.admit(&apns(), t(5)), Admission::Hold { until, .. } if until == t(10))
        );
        assert_eq!(health.admit(&apns(), t(10)), Admission::Go);
        assert!(
            matches!(health.admit(&apns(), t(10)), Admission::Hold { until, .. } if until == t(15))
        );
        // A refused probe: still open (no new change), the next one twice as far.
        let (verdict, change) = health.observe(&apns(), refused(), t(11));
        assert!(matches!(verdict, Verdict::Hold { until, .. } if until == t(31)));
        assert_eq!(change, None);
        let (_, _) = health.observe(&apns(), refused(), t(31));
        assert!(
            matches!(health.admit(&apns(), t(40)), Admission::Hold { until, .. } if until == t(71))
        );
        // Other credential sets are not touched.
        let fcm = CredentialSet::service(PushProvider::Fcm);
        assert_eq!(health.admit(&fcm, t(40)), Admission::Go);
        // A probe that goes through heals it.
        assert_eq!(health.admit(&apns(), t(71)), Admission::Go);
        let (verdict, change) = health.observe(&apns(), PushOutcome::Sent, t(72));
        assert_eq!(verdict, Verdict::Outcome(PushOutcome::Sent));
        assert_eq!(change.unwrap().to, State::Healthy);
        assert_eq!(health.admit(&apns(), t(72)), Admission::Go);
    }

    #[test]
    fn the_probe_wait_never_exceeds_the_maximum() {
        let health = ProviderHealth::new(HealthConfig {
            probe_after_seconds: 10,
            probe_max_seconds: 60,
            ..HealthConfig::default()
        });
        let mut at = 0;
        for _ in 0..10 {
            let (verdict, _) = health.observe(&apns(), refused(), t(at));
            let Verdict::Hold { until, .. } = verdict else {
                panic!("held")
            };
            assert!(until - t(at) <= chrono::Duration::seconds(60));
            at += 100;
        }
    }

    #[test]
    fn a_pause_holds_everyone_until_the_time_asked_then_lifts() {
        let health = ProviderHealth::default();
        let busy = PushOutcome::Busy {
            error: "FCM 429: QUOTA_EXCEEDED".into(),
            retry_after: Some(Duration::from_secs(30)),
        };
        let (verdict, change) = health.observe(&apns(), busy, t(0));
        assert!(matches!(verdict, Verdict::Hold { until, .. } if until == t(30)));
        // A pause is not worth an audit event: it is the provider's weather.
        assert_eq!(change, None);
        assert!(
            matches!(health.admit(&apns(), t(29)), Admission::Hold { until, .. } if until == t(30))
        );
        assert_eq!(health.admit(&apns(), t(30)), Admission::Go);
        // Without a wish, the configured pause.
        let busy = PushOutcome::Busy {
            error: "APNs 503".into(),
            retry_after: None,
        };
        let (verdict, _) = health.observe(&apns(), busy, t(100));
        assert!(matches!(verdict, Verdict::Hold { until, .. } if until == t(110)));
    }

    #[test]
    fn a_refused_token_retires_its_phone_only_where_the_credentials_have_delivered() {
        let health = ProviderHealth::default();
        // Nothing proved these credentials yet: the row is tried again, no phone retired.
        let (verdict, _) = health.observe(&apns(), gone(), t(0));
        assert!(matches!(
            verdict,
            Verdict::Outcome(PushOutcome::Retry { .. })
        ));
        for _ in 0..5 {
            health.observe(&apns(), PushOutcome::Sent, t(1));
        }
        let (verdict, _) = health.observe(&apns(), gone(), t(2));
        assert_eq!(verdict, Verdict::Outcome(gone()));
    }

    #[test]
    fn most_tokens_refused_at_once_is_a_configuration_fault() {
        let health = ProviderHealth::default();
        for _ in 0..4 {
            health.observe(&apns(), PushOutcome::Sent, t(0));
        }
        // A topic changed by mistake: every token is "not for this topic" now.
        let mut retired = 0;
        let mut opened = None;
        for i in 0..20 {
            match health.observe(&apns(), gone(), t(i)) {
                (Verdict::Outcome(PushOutcome::TokenGone { .. }), _) => retired += 1,
                (verdict, change) => {
                    assert!(is_hold(&verdict));
                    opened = opened.or(change);
                }
            }
        }
        // Only as many as the healthy answers before them could outweigh.
        assert_eq!(retired, 4);
        let opened = opened.expect("the circuit opened");
        assert!(
            matches!(&opened.to, State::Open { reason, .. } if reason.starts_with("most tokens refused")),
            "{opened:?}"
        );
        assert!(matches!(
            health.admit(&apns(), t(21)),
            Admission::Hold { .. }
        ));
    }

    #[test]
    fn a_push_that_failed_on_its_own_changes_nothing() {
        let health = ProviderHealth::default();
        for outcome in [
            PushOutcome::Failed {
                error: "APNs 413: PayloadTooLarge".into(),
            },
            PushOutcome::Retry {
                error: "APNs 500".into(),
                retry_after: None,
            },
        ] {
            let (verdict, change) = health.observe(&apns(), outcome.clone(), t(0));
            assert_eq!((verdict, change), (Verdict::Outcome(outcome), None));
        }
        assert_eq!(health.admit(&apns(), t(0)), Admission::Go);
        assert!(health.snapshot().iter().all(|(_, s)| *s == State::Healthy));
    }
}
