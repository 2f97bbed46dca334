//! Values kept across queries for one searcher, up to a budget.
//!
//! What one query looks up (a term's document frequency, a lone character's
//! passages, a passage normalized for its snippet) holds for every later
//! query on the same searcher, and a batch of questions asks for much of it
//! again. It holds for that searcher only: a reloaded searcher sees other
//! segments, other counts, and other passages at the same address. So every
//! lookup names the [`Generation`] of the searcher it is for, and a map
//! filled for another generation is emptied before it answers.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::convert::Infallible;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

use tantivy::Searcher;

/// Which searcher kept values were found with: tantivy's generation of an
/// [`tantivy::IndexReader`]'s searcher, new on every reload that changes
/// the segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(u64);

impl Generation {
    /// The generation of `searcher`.
    pub fn of(searcher: &Searcher) -> Generation {
        Generation(searcher.generation().generation_id())
    }
}

/// A map filled on each key's first use until the kept values' total cost
/// reaches a budget; past it, values are still made but no longer kept.
/// The values are those of one [`Generation`] (see the module docs).
pub struct Kept<K, V> {
    budget: usize,
    entries: Mutex<Entries<K, V>>,
}

struct Entries<K, V> {
    /// The generation the entries were made for; `None` before the first.
    generation: Option<Generation>,
    by_key: HashMap<K, V>,
    cost: usize,
}

impl<K: Hash + Eq, V: Clone> Kept<K, V> {
    /// An empty map that keeps values costing `budget` in all.
    pub fn new(budget: usize) -> Self {
        Kept {
            budget,
            entries: Mutex::new(Entries {
                generation: None,
                by_key: HashMap::new(),
                cost: 0,
            }),
        }
    }

    /// The value of `key` for `generation`: the kept one, else the one
    /// `make` gives, kept when its `cost` still fits the budget. Values kept
    /// for another generation are dropped first. `make` runs without the
    /// lock, so two threads may both make a value; both are the same.
    pub fn get_or_try_make<Q, E>(
        &self,
        generation: Generation,
        key: &Q,
        cost: impl FnOnce(&V) -> usize,
        make: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        if let Some(found) = self.lock_for(generation).by_key.get(key) {
            return Ok(found.clone());
        }
        let value = make()?;
        let cost = cost(&value);
        let mut entries = self.lock_for(generation);
        if entries.cost + cost <= self.budget && !entries.by_key.contains_key(key) {
            entries.cost += cost;
            entries.by_key.insert(key.to_owned(), value.clone());
        }
        Ok(value)
    }

    /// [`Self::get_or_try_make`] for a `make` that cannot fail.
    pub fn get_or_make<Q>(
        &self,
        generation: Generation,
        key: &Q,
        cost: impl FnOnce(&V) -> usize,
        make: impl FnOnce() -> V,
    ) -> V
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        match self.get_or_try_make(generation, key, cost, || Ok::<V, Infallible>(make())) {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// The entries for `generation`, emptied if they were kept for another;
    /// even after a panic elsewhere (they are never left half-written).
    fn lock_for(&self, generation: Generation) -> MutexGuard<'_, Entries<K, V>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.generation != Some(generation) {
            entries.by_key.clear();
            entries.cost = 0;
            entries.generation = Some(generation);
        }
        entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: Generation = Generation(1);

    #[test]
    fn keeps_values_until_the_budget_is_spent() {
        let kept: Kept<String, usize> = Kept::new(5);
        let made = std::cell::Cell::new(0);
        let make = |n: usize| {
            made.set(made.get() + 1);
            n
        };
        assert_eq!(kept.get_or_make(FIRST, "a", |&n| n, || make(3)), 3);
        assert_eq!(kept.get_or_make(FIRST, "a", |&n| n, || make(99)), 3, "kept");
        assert_eq!(kept.get_or_make(FIRST, "b", |&n| n, || make(4)), 4);
        assert_eq!(
            kept.get_or_make(FIRST, "b", |&n| n, || make(4)),
            4,
            "made again"
        );
        assert_eq!(kept.get_or_make(FIRST, "c", |&n| n, || make(2)), 2);
        assert_eq!(
            kept.get_or_make(FIRST, "c", |&n| n, || make(7)),
            2,
            "fits in 3 + 2"
        );
        assert_eq!(made.get(), 4);
        let failed: Result<usize, &str> =
            kept.get_or_try_make(FIRST, "d", |_| 0, || Err("damaged"));
        assert_eq!(failed, Err("damaged"));
        assert_eq!(
            kept.get_or_make(FIRST, "d", |_| 0, || 1),
            1,
            "a failure is not kept"
        );
    }

    #[test]
    fn a_lookup_for_another_generation_refills() {
        let kept: Kept<String, usize> = Kept::new(5);
        assert_eq!(kept.get_or_make(FIRST, "a", |_| 1, || 1), 1);
        assert_eq!(kept.get_or_make(FIRST, "a", |_| 1, || 2), 1, "kept");
        let second = Generation(2);
        assert_eq!(kept.get_or_make(second, "a", |_| 1, || 2), 2, "made again");
        assert_eq!(
            kept.get_or_make(second, "a", |_| 1, || 3),
            2,
            "kept for the new one"
        );
        // The old generation's values were dropped, and their cost with them.
        assert_eq!(kept.get_or_make(second, "b", |_| 4, || 4), 4);
        assert_eq!(
            kept.get_or_make(second, "b", |_| 4, || 5),
            4,
            "fits in 1 + 4"
        );
    }
}
