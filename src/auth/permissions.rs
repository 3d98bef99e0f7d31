//! Who may do what: the one table of roles per resource and action. Every domain
//! operation asks [`Caller::may`] before it reads or writes, so the API and the console,
//! which both call the domain, cannot disagree. What a manager may see *within* a
//! permitted resource (their units' subtrees) is the unit scope's business, not this
//! table's.
use sea_orm::ActiveEnum;

use super::{AccessRole, Caller};
use crate::error::{AppError, AppResult};

/// What a caller acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    Units,
    /// Role categories (nurse, assistant nurse, …).
    Roles,
    Employees,
    Devices,
    Subscriptions,
    /// API tokens and the console sign-ins they carry.
    Tokens,
    /// The audit log across the tenant (an object's own history reads as the object).
    Audit,
    /// The tenant's working-time policy: time zone, weekly hours, holidays.
    Policy,
    /// A unit's or an employee's own weekly hours.
    WorkingHours,
    Shifts,
    Absences,
    /// When an employee can be reached, computed from all of the above.
    Reachability,
    /// Notices to units and the people in them; a manager only to their units.
    Notices,
    DeviceProfiles,
    RolloutRules,
    /// Framework agreements with suppliers.
    Contracts,
    /// Follow-up reports: utilization, unused subscriptions, returns due, roll-out, …
    Reports,
    /// CSV imports of whole files; each kind also needs write access to what it writes.
    Imports,
    /// How people sign in to the console: the identity provider, the tenant's short
    /// name, whether a pasted token still works there.
    SignIn,
    /// The tenant's own mobile apps: their Apple keys and Firebase service accounts.
    PushApps,
    /// People and groups as the directory provisions them (`/scim/v2`): only the
    /// directory's own token.
    Provisioning,
    /// The caller's own working day: their devices, notices, focus time and phones.
    /// Any token that speaks for an employee has one; others find nothing there.
    OwnWorkday,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Read,
    /// Create, change, delete, or move through a lifecycle.
    Write,
}

use Access::{Read, Write};
use AccessRole::{Admin, Employee, Manager, Scim};
use Resource::{
    Absences, Audit, Contracts, DeviceProfiles, Devices, Employees, Imports, Notices, OwnWorkday,
    Policy, Provisioning, PushApps, Reachability, Reports, Roles, RolloutRules, Shifts, SignIn,
    Subscriptions, Tokens, Units, WorkingHours,
};

const ADMIN: &[AccessRole] = &[Admin];
const ADMIN_AND_MANAGER: &[AccessRole] = &[Admin, Manager];
const EVERYONE: &[AccessRole] = &[Admin, Manager, Employee];
const DIRECTORY: &[AccessRole] = &[Scim];

/// The table. Managers read what their units hold and plan with (tenant-wide roll-out
/// profiles, rules and agreements included: they budget against them) and send their
/// units notices; only admins change the organisation, the inventory or the rules.
pub const RULES: &[(Resource, Access, &[AccessRole])] = &[
    (Units, Read, ADMIN_AND_MANAGER),
    (Units, Write, ADMIN),
    (Roles, Read, ADMIN_AND_MANAGER),
    (Roles, Write, ADMIN),
    (Employees, Read, ADMIN_AND_MANAGER),
    (Employees, Write, ADMIN),
    (Devices, Read, ADMIN_AND_MANAGER),
    (Devices, Write, ADMIN),
    (Subscriptions, Read, ADMIN_AND_MANAGER),
    (Subscriptions, Write, ADMIN),
    (Tokens, Read, ADMIN),
    (Tokens, Write, ADMIN),
    (Audit, Read, ADMIN),
    (Policy, Read, ADMIN),
    (Policy, Write, ADMIN),
    // Managers see the hours of their units and people (not change them).
    (WorkingHours, Read, ADMIN_AND_MANAGER),
    (WorkingHours, Write, ADMIN),
    (Shifts, Read, ADMIN_AND_MANAGER),
    (Shifts, Write, ADMIN),
    (Absences, Read, ADMIN_AND_MANAGER),
    (Absences, Write, ADMIN),
    (Reachability, Read, ADMIN_AND_MANAGER),
    (Notices, Read, ADMIN_AND_MANAGER),
    (Notices, Write, ADMIN_AND_MANAGER),
    (DeviceProfiles, Read, ADMIN_AND_MANAGER),
    (DeviceProfiles, Write, ADMIN),
    (RolloutRules, Read, ADMIN_AND_MANAGER),
    (RolloutRules, Write, ADMIN),
    (Contracts, Read, ADMIN_AND_MANAGER),
    (Contracts, Write, ADMIN),
    (Reports, Read, ADMIN_AND_MANAGER),
    (Imports, Write, ADMIN),
    (SignIn, Read, ADMIN),
    (SignIn, Write, ADMIN),
    (PushApps, Read, ADMIN),
    (PushApps, Write, ADMIN),
    (Provisioning, Read, DIRECTORY),
    (Provisioning, Write, DIRECTORY),
    (OwnWorkday, Read, EVERYONE),
    (OwnWorkday, Write, EVERYONE),
];

/// The roles that may do `action` on `resource`; none for a pair the table leaves out.
pub fn roles_for(resource: Resource, action: Access) -> &'static [AccessRole] {
    RULES
        .iter()
        .find(|(r, a, _)| *r == resource && *a == action)
        .map_or(&[], |(_, _, roles)| *roles)
}

impl Caller {
    /// Whether this caller's role may do `action` on `resource`; refused with 403 if not.
    pub fn may(&self, resource: Resource, action: Access) -> AppResult<()> {
        if roles_for(resource, action).contains(&self.role) {
            return Ok(());
        }
        Err(AppError::Forbidden(match self.role {
            Employee => "an employee reaches only their own working day (/api/v1/me)".to_owned(),
            _ => format!(
                "a {} may not {} {}",
                self.role.to_value(),
                match action {
                    Read => "read",
                    Write => "change",
                },
                resource.noun()
            ),
        }))
    }

    /// Whether this caller may send an urgent notice (one that breaks through quiet
    /// hours): admins always; others when their token was granted it.
    pub fn may_send_urgent(&self) -> bool {
        self.role == Admin || self.can_send_urgent
    }

    /// The employee this caller speaks for, when it may do `action` on its own working
    /// day; a token that speaks for nobody finds nothing there (404).
    pub fn own_employee(&self, action: Access) -> AppResult<uuid::Uuid> {
        self.may(OwnWorkday, action)?;
        self.own_employee_id()
    }
}

impl Resource {
    fn noun(self) -> &'static str {
        match self {
            Units => "units",
            Roles => "role categories",
            Employees => "employees",
            Devices => "devices",
            Subscriptions => "subscriptions",
            Tokens => "tokens",
            Audit => "the audit log",
            Policy => "the working-time policy",
            WorkingHours => "working hours",
            Shifts => "shifts",
            Absences => "absences",
            Reachability => "reachability",
            Notices => "notices",
            DeviceProfiles => "device profiles",
            RolloutRules => "roll-out rules",
            Contracts => "contracts",
            Reports => "reports",
            Imports => "imports",
            SignIn => "the sign-in settings",
            PushApps => "the push apps",
            Provisioning => "the directory's provisioning",
            OwnWorkday => "their own working day",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_resource_and_action_is_stated_once() {
        for (i, (r, a, _)) in RULES.iter().enumerate() {
            assert!(
                !RULES[i + 1..].iter().any(|(r2, a2, _)| r2 == r && a2 == a),
                "{r:?} {a:?} stated twice"
            );
        }
    }

    /// The promises the table keeps whatever else changes in it: an employee reaches
    /// their own working day and nothing else, and a manager changes nothing but notices.
    #[test]
    fn employees_reach_only_their_day_and_managers_change_only_notices() {
        for (resource, access, roles) in RULES {
            if roles.contains(&Employee) {
                assert_eq!(*resource, OwnWorkday, "{resource:?} {access:?}");
            }
            if *access == Write && roles.contains(&Manager) {
                assert!(
                    [Notices, OwnWorkday].contains(resource),
                    "managers change {resource:?}"
                );
            }
        }
    }

    /// API handlers and console pages translate: they never open or commit a
    /// transaction; the domain operation they call owns it (and decides, from the table
    /// above, whether its caller may act — the authorization matrix tests prove that).
    #[test]
    fn handlers_leave_deciding_and_transactions_to_the_domain() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut offending = Vec::new();
        for dir in ["api", "web/pages"] {
            for entry in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
                let path = entry.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                for needle in ["begin_write", "db::write", ".commit()"] {
                    if text.contains(needle) {
                        offending.push(format!("{}: {needle}", path.display()));
                    }
                }
            }
        }
        assert!(offending.is_empty(), "{offending:#?}");
    }

    #[test]
    fn a_pair_the_table_leaves_out_is_refused() {
        assert!(roles_for(Audit, Write).is_empty());
        assert_eq!(roles_for(Devices, Write), [Admin]);
    }
}
