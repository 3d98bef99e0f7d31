//! The two lifecycles as pure state machines: which action leads where.
//!
//! Device: `ordered -> in_stock -> assigned -> in_stock`, `in_stock|assigned -> in_repair
//! -> in_stock`, any non-retired `-> retired` (final).
//! Subscription: `ordered -> active <-> suspended`, any `-> terminated` (final).
use sea_orm::ActiveEnum;

use crate::error::AppError;

pub use entities::vocab::{DeviceStatus, SubscriptionStatus};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceAction {
    Receive,
    Assign,
    Unassign,
    SendToRepair,
    ReturnFromRepair,
    Retire,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscriptionAction {
    Activate,
    Suspend,
    Resume,
    Terminate,
    /// Ties the subscription to a device and/or an employee; keeps the status.
    Assign,
}

/// An action of a lifecycle: its name in the URL and where it leads from a status.
pub trait Action: Copy + 'static {
    type Status: Copy + PartialEq + ActiveEnum<Value = String>;
    const ALL: &'static [Self];
    fn name(self) -> &'static str;
    fn next(self, from: Self::Status) -> Option<Self::Status>;

    /// The action named `name` in a URL or form.
    fn by_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.name() == name)
    }
}

impl Action for DeviceAction {
    type Status = DeviceStatus;
    const ALL: &'static [Self] = &[
        DeviceAction::Receive,
        DeviceAction::Assign,
        DeviceAction::Unassign,
        DeviceAction::SendToRepair,
        DeviceAction::ReturnFromRepair,
        DeviceAction::Retire,
    ];

    fn name(self) -> &'static str {
        match self {
            DeviceAction::Receive => "receive",
            DeviceAction::Assign => "assign",
            DeviceAction::Unassign => "unassign",
            DeviceAction::SendToRepair => "send-to-repair",
            DeviceAction::ReturnFromRepair => "return-from-repair",
            DeviceAction::Retire => "retire",
        }
    }

    fn next(self, from: DeviceStatus) -> Option<DeviceStatus> {
        use DeviceAction as A;
        use DeviceStatus as S;
        match (from, self) {
            (S::Ordered, A::Receive) => Some(S::InStock),
            (S::InStock, A::Assign) => Some(S::Assigned),
            (S::Assigned, A::Unassign) => Some(S::InStock),
            (S::InStock | S::Assigned, A::SendToRepair) => Some(S::InRepair),
            (S::InRepair, A::ReturnFromRepair) => Some(S::InStock),
            (S::Retired, A::Retire) => None,
            (_, A::Retire) => Some(S::Retired),
            _ => None,
        }
    }
}

impl Action for SubscriptionAction {
    type Status = SubscriptionStatus;
    const ALL: &'static [Self] = &[
        SubscriptionAction::Activate,
        SubscriptionAction::Suspend,
        SubscriptionAction::Resume,
        SubscriptionAction::Terminate,
        SubscriptionAction::Assign,
    ];

    fn name(self) -> &'static str {
        match self {
            SubscriptionAction::Activate => "activate",
            SubscriptionAction::Suspend => "suspend",
            SubscriptionAction::Resume => "resume",
            SubscriptionAction::Terminate => "terminate",
            SubscriptionAction::Assign => "assign",
        }
    }

    fn next(self, from: SubscriptionStatus) -> Option<SubscriptionStatus> {
        use SubscriptionAction as A;
        use SubscriptionStatus as S;
        match (from, self) {
            (S::Ordered, A::Activate) => Some(S::Active),
            (S::Active, A::Suspend) => Some(S::Suspended),
            (S::Suspended, A::Resume) => Some(S::Active),
            (S::Terminated, _) => None,
            (_, A::Terminate) => Some(S::Terminated),
            (status, A::Assign) => Some(status),
            _ => None,
        }
    }
}

/// The actions allowed from `status`, by name.
pub fn allowed_actions<A: Action>(status: A::Status) -> Vec<&'static str> {
    A::ALL
        .iter()
        .filter(|a| a.next(status).is_some())
        .map(|a| a.name())
        .collect()
}

/// Where `action` leads from `from`, or a 409 naming the status and what is allowed.
pub fn transition<A: Action>(from: A::Status, action: A) -> Result<A::Status, AppError> {
    action.next(from).ok_or_else(|| {
        let allowed = allowed_actions::<A>(from);
        let detail = if allowed.is_empty() {
            format!(
                "`{}` is not possible: the status is {}, which is final",
                action.name(),
                from.to_value()
            )
        } else {
            format!(
                "`{}` is not possible when the status is {}; allowed: {}",
                action.name(),
                from.to_value(),
                allowed.join(", ")
            )
        };
        AppError::InvalidTransition {
            detail,
            status: from.to_value(),
            allowed_actions: allowed,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeviceStatus::*;

    #[test]
    fn device_paths_follow_the_design() {
        assert_eq!(transition(Ordered, DeviceAction::Receive).unwrap(), InStock);
        assert_eq!(transition(InStock, DeviceAction::Assign).unwrap(), Assigned);
        assert_eq!(
            transition(Assigned, DeviceAction::Unassign).unwrap(),
            InStock
        );
        assert_eq!(
            transition(Assigned, DeviceAction::SendToRepair).unwrap(),
            InRepair
        );
        assert_eq!(
            transition(InRepair, DeviceAction::ReturnFromRepair).unwrap(),
            InStock
        );
        for from in [Ordered, InStock, Assigned, InRepair] {
            assert_eq!(transition(from, DeviceAction::Retire).unwrap(), Retired);
        }
    }

    #[test]
    fn retired_is_final_and_refusals_name_what_is_allowed() {
        assert!(allowed_actions::<DeviceAction>(Retired).is_empty());
        let err = transition(Ordered, DeviceAction::Assign).unwrap_err();
        match err {
            AppError::InvalidTransition {
                status,
                allowed_actions,
                detail,
            } => {
                assert_eq!(status, "ordered");
                assert_eq!(allowed_actions, vec!["receive", "retire"]);
                assert!(detail.contains("ordered"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn subscription_paths_follow_the_design() {
        use SubscriptionStatus as S;
        assert_eq!(
            transition(S::Ordered, SubscriptionAction::Activate).unwrap(),
            S::Active
        );
        assert_eq!(
            transition(S::Active, SubscriptionAction::Suspend).unwrap(),
            S::Suspended
        );
        assert_eq!(
            transition(S::Suspended, SubscriptionAction::Resume).unwrap(),
            S::Active
        );
        assert!(transition(S::Active, SubscriptionAction::Resume).is_err());
        assert!(transition(S::Terminated, SubscriptionAction::Assign).is_err());
        assert_eq!(
            transition(S::Suspended, SubscriptionAction::Assign).unwrap(),
            S::Suspended
        );
        assert_eq!(
            allowed_actions::<SubscriptionAction>(S::Terminated),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn stored_statuses_read_back() {
        let read = |s: &str| DeviceStatus::try_from_value(&s.to_owned()).ok();
        assert_eq!(read("in_repair"), Some(InRepair));
        assert_eq!(InRepair.to_value(), "in_repair");
        assert_eq!(read("broken"), None);
    }
}
