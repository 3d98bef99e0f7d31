//! Who is calling: API tokens, their access roles, and the units a manager may see.
mod authenticator;
mod cache;
mod caller;
mod permissions;
mod scope;
pub mod sessions;
pub mod tokens;

pub use authenticator::Authenticator;
pub use cache::{TOKEN_CACHE_TTL, TokenCache};
pub use caller::{AccessRole, Caller, ScopeMemo};
pub(crate) use caller::{Employment, employed_until};
pub use entities::vocab::SignInMethod;
pub use permissions::{Access, RULES, Resource, roles_for};
pub use scope::{UnitScope, expand_subtree, subtree_of};
