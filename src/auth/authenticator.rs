//! What turning a request's credential into a [`super::Caller`] needs, as one handle
//! the extractor takes from any router state through `FromRef`: the auth module does
//! not know the application's state.
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::TokenCache;
use crate::{clock::Clock, limits::Limits};

#[derive(Clone)]
pub struct Authenticator(Arc<Parts>);

pub(super) struct Parts {
    pub db: DatabaseConnection,
    pub tokens: TokenCache,
    pub limits: Limits,
    pub clock: Arc<dyn Clock>,
}

impl Authenticator {
    pub fn new(
        db: DatabaseConnection,
        tokens: TokenCache,
        limits: Limits,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Authenticator(Arc::new(Parts {
            db,
            tokens,
            limits,
            clock,
        }))
    }

    pub(super) fn parts(&self) -> &Parts {
        &self.0
    }
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").finish_non_exhaustive()
    }
}
