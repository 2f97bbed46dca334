//! Values kept across queries for one searcher, up to a budget.
//!
//! What one query looks up (a term's document frequency, a lone character's
//! passages, a passage normalized for its snippet) holds for every later
//! query on the same searcher, and a batch of questions asks for much of it
//! again. It holds for that searcher only: a reloaded searcher sees other
//! segments, other counts, and other passages at the same address. So every
//! lookup names the [`Generation`] of the searcher it is for, and values are
//! kept under it: a lookup never sees another generation's values, and the
//! first lookup for a newer generation drops the older ones. A request still
//! running on the old searcher during a reload only misses.
//!
//! The values live in a `quick_cache::sync::Cache`: sharded, each shard
//! behind its own lock (read-locked for a hit), weighted by each value's
//! cost, and evicting the least used values once the budget is spent, so a
//! long-running server keeps what its queries ask for now rather than what
//! its first queries asked for. It replaced a `Mutex<HashMap>` that kept
//! values until the budget was spent and then stopped keeping any, after
//! measuring under `zhsearch serve` (`bench/serve_ab.sh`: the builds in
//! turn, each taking every place in the order; 4,000 requests per run,
//! InsuranceQA-zh on 2 cores; medians of the 4 undisturbed rounds):
//!
//! | build | C=8 req/s | C=32 req/s | CPU per request, C=8 | `--batch` mean |
//! | --- | --- | --- | --- | --- |
//! | `Mutex<HashMap>` | 1,980 | 1,959 | 0.714 ms | 0.619 ms |
//! | quick_cache 0.7 | 1,980 | 1,996 | 0.705 ms | 0.610 ms |
//! | quick_cache 0.7, std locks | 1,965 | 1,978 | 0.718 ms | 0.621 ms |
//! | moka 0.12 | 1,917 | 1,931 | 0.730 ms | 0.648 ms |
//!
//! quick_cache measured at least as fast on every column (by 0–2%, within
//! the runs' spread); moka was slower on every column (by 1–5% against the
//! mutex). The lock was no bottleneck: an instrumented build found 0.3% of
//! the mutex's acquisitions for document frequencies contended at C=8 and
//! at C=32 (1,248 and 1,363 of 388,146), 0.2% for passages. So the gain is
//! not speed but the eviction, the per-generation keys and no lock shared
//! by every request. See `bench/serve_cache.md`, in BENCHMARKS.md under
//! "Server under load".

use std::borrow::Borrow;
use std::convert::Infallible;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use quick_cache::sync::Cache;
use quick_cache::{Equivalent, Weighter};
use tantivy::Searcher;

/// Which searcher kept values were found with: tantivy's generation of an
/// [`tantivy::IndexReader`]'s searcher, new (and larger) on every reload
/// that changes the segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Generation(u64);

impl Generation {
    /// The generation of `searcher`.
    pub fn of(searcher: &Searcher) -> Generation {
        Generation(searcher.generation().generation_id())
    }
}

/// Most values a cache plans its bookkeeping for (quick_cache's
/// `estimated_items_capacity`, which sizes the record of recently evicted
/// keys and the number of shards; the budget, not this, bounds the values).
const PLANNED_VALUES: usize = 1 << 16;

/// A map filled on each key's first use, keeping values whose costs add up
/// to a budget at most; past it, the least used values make room. The values
/// are those of one [`Generation`] (see the module docs).
pub struct Kept<K, V> {
    cache: Cache<Keyed<K>, Costed<V>, ByCost>,
    /// The newest generation looked up so far.
    newest: AtomicU64,
}

/// A key under the generation its value was made for.
#[derive(PartialEq, Eq)]
struct Keyed<K> {
    generation: Generation,
    key: K,
}

impl<K: Hash> Hash for Keyed<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.generation.hash(state);
        self.key.hash(state);
    }
}

/// A [`Keyed`] with a borrowed key, to look up without making an owned one.
/// Hashes as the `Keyed` it stands for (`K: Borrow<Q>` hashes alike).
struct Lookup<'a, Q: ?Sized> {
    generation: Generation,
    key: &'a Q,
}

impl<Q: Hash + ?Sized> Hash for Lookup<'_, Q> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.generation.hash(state);
        self.key.hash(state);
    }
}

impl<K: Borrow<Q>, Q: Eq + ?Sized> Equivalent<Keyed<K>> for Lookup<'_, Q> {
    fn equivalent(&self, keyed: &Keyed<K>) -> bool {
        self.generation == keyed.generation && self.key == keyed.key.borrow()
    }
}

/// A value with its cost, for the cache's weigher.
#[derive(Clone)]
struct Costed<V> {
    value: V,
    cost: u64,
}

#[derive(Clone)]
struct ByCost;

impl<K, V> Weighter<Keyed<K>, Costed<V>> for ByCost {
    fn weight(&self, _: &Keyed<K>, costed: &Costed<V>) -> u64 {
        costed.cost
    }
}

impl<K: Hash + Eq, V: Clone> Kept<K, V> {
    /// An empty map that keeps values costing `budget` in all.
    pub fn new(budget: usize) -> Self {
        Kept {
            cache: Cache::with_weighter(budget.min(PLANNED_VALUES), budget as u64, ByCost),
            newest: AtomicU64::new(0),
        }
    }

    /// The value of `key` for `generation`: the kept one, else the one
    /// `make` gives, kept at its `cost` (at least 1, so that nothing is kept
    /// for free: quick_cache never evicts a value of weight 0). A lookup for
    /// a newer generation than any before drops the values kept so far.
    /// `make` runs without a lock, so two threads may both make a value;
    /// both are the same.
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
        if self.newest.fetch_max(generation.0, Ordering::Relaxed) < generation.0 {
            self.cache.clear();
        }
        if let Some(found) = self.cache.get(&Lookup { generation, key }) {
            return Ok(found.value);
        }
        let value = make()?;
        let cost = cost(&value).max(1) as u64;
        let keyed = Keyed {
            generation,
            key: key.to_owned(),
        };
        self.cache.insert(
            keyed,
            Costed {
                value: value.clone(),
                cost,
            },
        );
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
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    const FIRST: Generation = Generation(1);

    #[test]
    fn keeps_a_value_once_made_but_not_a_failure() {
        let kept: Kept<String, usize> = Kept::new(100);
        let made = Cell::new(0);
        let make = |n: usize| {
            made.set(made.get() + 1);
            n
        };
        assert_eq!(kept.get_or_make(FIRST, "a", |&n| n, || make(3)), 3);
        assert_eq!(kept.get_or_make(FIRST, "a", |&n| n, || make(99)), 3, "kept");
        assert_eq!(kept.get_or_make(FIRST, "b", |&n| n, || make(4)), 4);
        assert_eq!(kept.get_or_make(FIRST, "b", |&n| n, || make(99)), 4, "kept");
        assert_eq!(made.get(), 2);
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
    fn keeps_no_more_than_its_budget() {
        let kept: Kept<u32, u32> = Kept::new(10);
        for key in 0..100 {
            kept.get_or_make(FIRST, &key, |_| 1, || key);
        }
        // Values of cost 0 count as 1, so they cannot pile up either.
        for key in 100..200 {
            kept.get_or_make(FIRST, &key, |_| 0, || key);
        }
        assert!(kept.cache.weight() <= 10, "weight {}", kept.cache.weight());
        assert!(kept.cache.len() <= 10, "{} values", kept.cache.len());
        // A value dearer than the whole budget is made, not kept.
        assert_eq!(kept.get_or_make(FIRST, &500, |_| 11, || 5), 5);
        assert_eq!(kept.get_or_make(FIRST, &500, |_| 11, || 6), 6, "made again");
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
        assert_eq!(kept.cache.len(), 1);
        // A request still on the old searcher makes its own value and leaves
        // the new generation's alone.
        assert_eq!(
            kept.get_or_make(FIRST, "a", |_| 1, || 7),
            7,
            "not the new 2"
        );
        assert_eq!(kept.get_or_make(second, "a", |_| 1, || 4), 2, "still kept");
    }

    #[test]
    fn threads_share_one_map() {
        let kept: Kept<u32, u32> = Kept::new(1_000);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for key in 0..500 {
                        assert_eq!(kept.get_or_make(FIRST, &key, |_| 1, || key * 2), key * 2);
                    }
                });
            }
        });
        let made = Cell::new(0);
        for key in 0..500 {
            kept.get_or_make(
                FIRST,
                &key,
                |_| 1,
                || {
                    made.set(made.get() + 1);
                    key * 2
                },
            );
        }
        assert_eq!(made.get(), 0, "all 500 kept");
    }
}
