//! Reference for start-up cost: a process that only loads jieba's default
//! dictionary (what `Jieba::new()` loads: the same file, read the same way).
//! `bench/run.sh` times it with hyperfine next to a cold `zhsearch search`.

fn main() {
    let jieba = jieba_rs::Jieba::with_dict(&mut std::io::BufReader::new(
        std::fs::File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/data/jieba/dict.txt"))
            .expect("data/jieba/dict.txt"),
    ))
    .expect("jieba's dictionary");
    std::hint::black_box(&jieba);
}
