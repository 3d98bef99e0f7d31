//! A short-lived cache of authenticated tokens, so a request costs one query (its own)
//! instead of two. Revoking a token evicts it here at once; another instance sharing the
//! database stops accepting it within [`TOKEN_CACHE_TTL`].
use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use uuid::Uuid;

use super::Caller;

pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(10);
/// Beyond this many tokens the cache starts afresh rather than grow without bound.
const MAX_ENTRIES: usize = 10_000;

#[derive(Clone, Debug, Default)]
pub struct TokenCache {
    entries: Arc<RwLock<HashMap<String, (Caller, Instant)>>>,
}

impl TokenCache {
    /// The caller behind a secret's hash, if seen within the TTL.
    pub fn get(&self, secret_hash: &str) -> Option<Caller> {
        let entries = self.entries.read().ok()?;
        let (caller, seen) = entries.get(secret_hash)?;
        (seen.elapsed() < TOKEN_CACHE_TTL).then(|| caller.clone())
    }

    pub fn put(&self, secret_hash: String, caller: Caller) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(secret_hash, (caller, Instant::now()));
        }
    }

    /// Forgets every token that speaks for an employee whose employment changed (it may
    /// have ended): the next request checks it afresh.
    pub fn evict_employee(&self, employee_id: Uuid) {
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, (caller, _)| caller.employee_id != Some(employee_id));
        }
    }

    /// Forgets a revoked token at once.
    pub fn evict(&self, token_id: Uuid) {
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, (caller, _)| caller.principal_id != token_id);
        }
    }
}
