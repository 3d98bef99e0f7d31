//! Staff notices: writing one to units, roles or people; planning who gets it now and
//! who later; following it up; the employee's inbox; and re-planning when working time
//! changes. Pushing is `crate::delivery`'s job.
pub mod audience;
pub mod create;
pub mod inbox;
pub mod input;
pub mod limits;
pub mod plan;
pub mod read;
pub mod replan;
pub mod templates;
pub mod view;
