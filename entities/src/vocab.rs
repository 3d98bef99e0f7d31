//! The stored vocabularies: each a Rust enum over the same strings the columns have
//! always held, used from the entity to the JSON and the console. A stored value this
//! build does not know is an error naming the vocabulary and the value ("unexpected
//! value for Priority enum: loud", as SeaORM's derive writes it; each enum's doc names
//! its column), never a silent default.
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One stored vocabulary: a Rust enum stored as the `snake_case` of its variants' names
/// (SeaORM's `DeriveActiveEnum` over a text column), serialised the same way in JSON,
/// described in the OpenAPI document and displayed as the same word.
macro_rules! vocabulary {
    ($(#[$meta:meta])* pub enum $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(
            Clone,
            Copy,
            Debug,
            PartialEq,
            Eq,
            Hash,
            EnumIter,
            DeriveActiveEnum,
            Serialize,
            Deserialize,
            utoipa::ToSchema,
        )]
        #[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($body)* }

        /// The stored word (`in_stock`), as a URL, a CSV cell or a log line shows it.
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&ActiveEnum::to_value(self))
            }
        }
    };
}

vocabulary! {
    /// How much a notice matters (`notices.priority`).
    pub enum Priority {
        Info,
        /// Asks for acknowledgement and leads the digest; held like `info`.
        Important,
        /// Breaks through quiet hours: justified, audited, counted.
        Urgent,
    }
}

vocabulary! {
    /// Why a delivery lands when it does (`notice_recipients.reason`).
    pub enum Reason {
        /// Inside the person's weekly working hours.
        WorkingHours,
        /// Inside one of the person's work shifts.
        Shift,
        /// Urgent, in an on-call shift: an expected contact.
        OnCall,
        /// Held: the person is in focus time ("in a patient meeting").
        Focus,
        /// Held: outside working time.
        OffDuty,
        /// Held: a public holiday.
        Holiday,
        /// Held: the person is away (vacation, sick, parental leave).
        Absence,
        /// Urgent, outside every window: an after-hours contact.
        Urgent,
        /// Nothing is known of the person's working time within the horizon: a non-urgent
        /// notice fails closed and is not pushed.
        NoWorkingTime,
    }
}

impl Reason {
    /// The reasons that reach a person at work (they are expected to see the notice).
    pub const AT_WORK: [Reason; 3] = [Reason::WorkingHours, Reason::Shift, Reason::OnCall];

    /// An after-hours contact: an urgent notice that broke through, outside every
    /// window. The one definition the notice's counts, its audit event and the
    /// after-hours report share.
    pub fn is_after_hours(self) -> bool {
        self == Reason::Urgent
    }
}

vocabulary! {
    /// Where one push stands (`deliveries.status`).
    pub enum DeliveryStatus {
        /// Waiting for its moment (`due_at`).
        Scheduled,
        /// Claimed by a dispatcher under a lease.
        Sending,
        Sent,
        Failed,
        /// Its notice expired before it could be pushed.
        Expired,
        Cancelled,
        /// Claimed again and again by dispatchers that never wrote an outcome (each
        /// died with it): given up rather than taken over once more.
        Dead,
    }
}

vocabulary! {
    /// A device's kind (`devices.kind`).
    pub enum DeviceKind {
        Phone,
        Tablet,
    }
}

vocabulary! {
    /// Who owns a device (`devices.ownership`).
    pub enum Ownership {
        Organization,
        /// An employee's own phone, registered only to receive notices.
        Private,
    }
}

vocabulary! {
    /// Where a device is in its lifecycle (`devices.status`).
    pub enum DeviceStatus {
        Ordered,
        InStock,
        Assigned,
        InRepair,
        Retired,
    }
}

vocabulary! {
    /// Where a subscription is in its lifecycle (`subscriptions.status`).
    pub enum SubscriptionStatus {
        Ordered,
        Active,
        Suspended,
        Terminated,
    }
}

vocabulary! {
    /// What a notice means for one recipient, as the sender's summary counts it
    /// (`notice_recipients.outcome`).
    pub enum Outcome {
        /// Pushed at `send_at`.
        Now,
        /// Waits for working time (or, with no working time known, is not pushed).
        Held,
        /// Would reach them only after `expires_at`: never pushed, in the inbox as expired.
        Expired,
        /// No phone to push to; the notice is in their inbox only.
        NoDevice,
    }
}

vocabulary! {
    /// What a token may do (`api_tokens.role`): its row in the permissions table.
    pub enum AccessRole {
        /// Everything in its tenant.
        Admin,
        /// Reads the people and inventory of its units (with subtrees), sends them notices.
        Manager,
        /// Their own working day only.
        Employee,
        /// The directory's provisioning (SCIM): `/scim/v2` and nothing else.
        Scim,
    }
}

vocabulary! {
    /// Which directory fact names a provisioned person's unit
    /// (`directory_settings.unit_from`).
    pub enum UnitSource {
        /// The enterprise `costCenter`, matched with the units' cost centres.
        CostCenter,
        /// The enterprise `department`, matched with the units' names.
        Department,
        /// Membership of a group mapped to a unit.
        Group,
    }
}

vocabulary! {
    /// Which directory fact names a provisioned person's role category
    /// (`directory_settings.role_from`).
    pub enum RoleSource {
        /// `title`, matched with the role categories' names.
        Title,
        /// Membership of a group mapped to a role category.
        Group,
    }
}

vocabulary! {
    /// What membership of a mapped directory group does
    /// (`directory_group_mappings.places`).
    pub enum GroupPlaces {
        Unit,
        Role,
        /// Its members manage the unit.
        Manager,
    }
}

vocabulary! {
    /// How a console session was opened (`web_sessions.signed_in_with`).
    pub enum SignInMethod {
        /// A pasted API token: the session reaches what the token reaches.
        Token,
        /// The tenant's OpenID Connect provider vouched for an employee.
        IdentityProvider,
    }
}

vocabulary! {
    /// Which field of an employee the identity claim's value is matched with
    /// (`identity_providers.identity_matches`).
    pub enum IdentityField {
        Email,
        ExternalId,
    }
}

vocabulary! {
    /// How a person is employed (`employees.employment_type`).
    pub enum EmploymentType {
        Permanent,
        Temporary,
        /// Staff hired from a staffing agency (bemanningsföretag).
        Hired,
    }
}

vocabulary! {
    /// Where a person's working time comes from (`employees.schedule_mode`).
    pub enum ScheduleMode {
        /// A weekly pattern (the person's, else the nearest unit's, else the tenant's),
        /// minus the tenant's holidays.
        Weekly,
        /// Only the person's shifts.
        Shifts,
    }
}

vocabulary! {
    /// What a shift is (`shifts.kind`).
    pub enum ShiftKind {
        Work,
        /// Beredskap: free time in which call-ins must be answered. Opens no window for
        /// ordinary notices.
        OnCall,
    }
}

vocabulary! {
    /// Why a device left the inventory (`devices.retired_reason`).
    pub enum RetireReason {
        Recycled,
        Sold,
        Lost,
        Stolen,
        Broken,
    }
}

vocabulary! {
    /// What a framework agreement covers (`contracts.kind`).
    pub enum ContractKind {
        Devices,
        Subscriptions,
        Support,
    }
}

vocabulary! {
    /// Who carries a registration's pushes (`push_registrations.provider`).
    pub enum PushProvider {
        /// Apple Push Notification service.
        Apns,
        /// Firebase Cloud Messaging (HTTP v1).
        Fcm,
        /// Writes the push to the log: for trials and tests without a phone.
        Log,
    }
}

vocabulary! {
    /// The kind of app a registration pushes to (`push_registrations.platform`): FCM
    /// carries pushes to all three, each with its own block of the message.
    pub enum PushPlatform {
        Ios,
        Android,
        Web,
    }
}
