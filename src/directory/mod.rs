//! Staff provisioned from the organisation's directory over SCIM 2.0 (RFC 7643/7644),
//! as Microsoft Entra ID and other identity platforms send it: `Users` are employees,
//! placed in a unit and a role category by the tenant's rules (never by a guess), and
//! `Groups` whose membership can place people or make them a unit's managers. A person
//! the directory deactivates or deletes leaves at once: their credentials stop, their
//! phones stop getting pushes, their devices and numbers are due back; nothing is ever
//! hard-deleted.
//!
//! The protocol's documents are JSON throughout: a request's resource is read with
//! SCIM's case-insensitive attribute names ([`attributes`]), a PATCH is applied to the
//! stored resource and the result read like a PUT ([`patch`]), and lists take the
//! filters provisioning clients use ([`filter`]).
pub mod attributes;
pub mod discovery;
mod error;
pub mod filter;
pub mod groups;
pub mod patch;
pub mod placement;
pub mod users;

pub use error::{ScimError, ScimResult};

/// The SCIM schema and message URNs.
pub mod urn {
    pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
    pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
    pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    pub const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
    pub const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
}
