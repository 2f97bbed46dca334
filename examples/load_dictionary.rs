//! Reference for start-up cost: a process that only loads jieba's default
//! dictionary, as every `zhsearch search` does. `bench/run.sh` times it with
//! hyperfine next to a cold `zhsearch search`.

fn main() {
    let jieba = jieba_rs::Jieba::new();
    std::hint::black_box(&jieba);
}
