//! Reference for index build speed: jieba-rs alone, one thread, search mode
//! (the mode zhsearch indexes with, HMM on), over the raw text of a corpus.
//!
//! `ZHSEARCH_BENCH_CORPUS=DIR cargo bench --bench segment` segments every
//! `.md`/`.markdown`/`.txt` file under DIR (default: the seed corpus
//! `corpus/`). One iteration is one pass over the whole corpus, so the mean
//! time per iteration is what a single-threaded segmentation of the corpus
//! costs; `bench/run.sh` compares `zhsearch index` with it.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use jieba_rs::Jieba;

/// Search-mode words of the seed corpus: a changed count means jieba or the
/// corpus changed, and the timings are not comparable any more.
const SEED_WORDS: usize = 6_886;

fn texts(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read corpus folder") {
            let path = entry.expect("corpus entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "md" || e == "markdown" || e == "txt")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

/// jieba-rs as a user of the crate gets it from `Jieba::new()`: its default
/// dictionary, which is the file zhsearch embeds (`data/jieba/dict.txt`,
/// byte-identical to jieba-rs 0.11's `src/data/dict.txt`), loaded the same way.
fn reference_jieba() -> Jieba {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/jieba/dict.txt");
    let file = std::fs::File::open(path).expect("data/jieba/dict.txt");
    Jieba::with_dict(&mut std::io::BufReader::new(file)).expect("jieba's dictionary")
}

fn count_words(jieba: &Jieba, texts: &[String]) -> usize {
    texts
        .iter()
        .map(|t| jieba.cut_for_search(black_box(t), true).len())
        .sum()
}

fn segment(c: &mut Criterion) {
    let seed = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus"));
    let dir = std::env::var_os("ZHSEARCH_BENCH_CORPUS").map_or(seed.clone(), PathBuf::from);
    let texts = texts(&dir);
    assert!(!texts.is_empty(), "no articles under {}", dir.display());
    let bytes: usize = texts.iter().map(String::len).sum();
    let jieba = reference_jieba();
    let expected = count_words(&jieba, &texts);
    if dir == seed {
        assert_eq!(expected, SEED_WORDS, "seed corpus word count changed");
    }
    let mut group = c.benchmark_group("jieba");
    group.throughput(Throughput::Bytes(bytes as u64));
    // A pass over a real corpus takes seconds: few, flat samples.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("cut_for_search", |b| {
        b.iter(|| {
            let words = count_words(&jieba, &texts);
            assert_eq!(words, expected);
            words
        })
    });
    group.finish();
}

criterion_group!(benches, segment);
criterion_main!(benches);
