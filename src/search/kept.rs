//! Values an engine keeps for its life, up to a budget.
//!
//! An [`super::Engine`]'s searcher never changes, so what one query looks up
//! (a term's document frequency, a lone character's passages, a passage
//! normalized for its snippet) holds for every later one, and a batch of
//! questions asks for much of it again.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::convert::Infallible;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

/// A map filled on each key's first use until the kept values' total cost
/// reaches a budget; past it, values are still made but no longer kept.
pub struct Kept<K, V> {
    budget: usize,
    entries: Mutex<Entries<K, V>>,
}

struct Entries<K, V> {
    by_key: HashMap<K, V>,
    cost: usize,
}

impl<K: Hash + Eq, V: Clone> Kept<K, V> {
    /// An empty map that keeps values costing `budget` in all.
    pub fn new(budget: usize) -> Self {
        Kept {
            budget,
            entries: Mutex::new(Entries {
                by_key: HashMap::new(),
                cost: 0,
            }),
        }
    }

    /// The value of `key`: the kept one, else the one `make` gives, kept
    /// when its `cost` still fits the budget. `make` runs without the lock,
    /// so two threads may both make a value; both are the same.
    pub fn get_or_try_make<Q, E>(
        &self,
        key: &Q,
        cost: impl FnOnce(&V) -> usize,
        make: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if let Some(found) = self.lock().by_key.get(key) {
            return Ok(found.clone());
        }
        let value = make()?;
        let cost = cost(&value);
        let mut entries = self.lock();
        if entries.cost + cost <= self.budget && !entries.by_key.contains_key(key) {
            entries.cost += cost;
            entries.by_key.insert(key.to_owned(), value.clone());
        }
        Ok(value)
    }

    /// [`Self::get_or_try_make`] for a `make` that cannot fail.
    pub fn get_or_make<Q>(
        &self,
        key: &Q,
        cost: impl FnOnce(&V) -> usize,
        make: impl FnOnce() -> V,
    ) -> V
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        match self.get_or_try_make(key, cost, || Ok::<V, Infallible>(make())) {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// The entries, even after a panic elsewhere (they are never left half-written).
    fn lock(&self) -> MutexGuard<'_, Entries<K, V>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_values_until_the_budget_is_spent() {
        let kept: Kept<String, usize> = Kept::new(5);
        let made = std::cell::Cell::new(0);
        let make = |n: usize| {
            made.set(made.get() + 1);
            n
        };
        assert_eq!(kept.get_or_make("a", |&n| n, || make(3)), 3);
        assert_eq!(kept.get_or_make("a", |&n| n, || make(99)), 3, "kept");
        assert_eq!(kept.get_or_make("b", |&n| n, || make(4)), 4);
        assert_eq!(kept.get_or_make("b", |&n| n, || make(4)), 4, "made again");
        assert_eq!(kept.get_or_make("c", |&n| n, || make(2)), 2);
        assert_eq!(
            kept.get_or_make("c", |&n| n, || make(7)),
            2,
            "fits in 3 + 2"
        );
        assert_eq!(made.get(), 4);
        let failed: Result<usize, &str> = kept.get_or_try_make("d", |_| 0, || Err("damaged"));
        assert_eq!(failed, Err("damaged"));
        assert_eq!(
            kept.get_or_make("d", |_| 0, || 1),
            1,
            "a failure is not kept"
        );
    }
}
