//! The reference peer of the scale benchmarks: what a user would write in an
//! afternoon with tantivy and jieba-rs. One document per paragraph, jieba's
//! search-mode tokens, a query that is an OR of term queries, the top 10.
//! Never a dependency of zhsearch: `bench/run.sh` measures both side by side.
//!
//! ```sh
//! peer index CORPUS INDEX          # build
//! peer batch INDEX QUERIES         # one query per line; prints p50/p99 of the searches as JSON
//! peer hits INDEX QUERIES          # one query per line; prints each one's top 10 paths as a JSON array
//! peer search INDEX QUERY          # one cold query: the top 10 paths
//! ```

use std::time::Instant;

use jieba_rs::Jieba;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, STORED, STRING, Schema, TEXT, Value};
use tantivy::{Index, TantivyDocument, Term, doc};

fn jieba() -> Jieba {
    let dict = concat!(env!("CARGO_MANIFEST_DIR"), "/data/jieba/dict.txt");
    Jieba::with_dict(&mut std::io::BufReader::new(
        std::fs::File::open(dict).unwrap(),
    ))
    .unwrap()
}

/// jieba's search-mode words, lowercased, as space-separated text (tantivy's
/// default tokenizer then splits on the spaces and drops punctuation).
fn words(jieba: &Jieba, text: &str) -> Vec<String> {
    let words = jieba.cut_for_search(text, true).into_iter();
    words
        .map(|w| w.word.trim().to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut schema = Schema::builder();
    let (path, text) = (
        schema.add_text_field("path", STRING | STORED),
        schema.add_text_field("text", TEXT),
    );
    let schema = schema.build();
    match args[1].as_str() {
        "index" => {
            let jieba = jieba();
            std::fs::create_dir_all(&args[3]).unwrap();
            let index = Index::create_in_dir(&args[3], schema).unwrap();
            let mut writer = index.writer::<TantivyDocument>(200_000_000).unwrap();
            let files = walk(std::path::Path::new(&args[2]));
            for file in &files {
                let content = std::fs::read_to_string(file).unwrap_or_default();
                for paragraph in content
                    .split("\n\n")
                    .filter(|p| !p.trim_start().starts_with('#'))
                {
                    let name = file.display().to_string();
                    writer
                        .add_document(
                            doc!(path => name, text => words(&jieba, paragraph).join(" ")),
                        )
                        .unwrap();
                }
            }
            writer.commit().unwrap();
            writer.wait_merging_threads().unwrap();
            eprintln!("peer: indexed {} files", files.len());
        }
        "batch" | "hits" | "search" => {
            let jieba = jieba();
            let index = Index::open_in_dir(&args[2]).unwrap();
            let searcher = index.reader().unwrap().searcher();
            let queries: Vec<String> = if args[1] != "search" {
                std::fs::read_to_string(&args[3])
                    .unwrap()
                    .lines()
                    .map(str::to_string)
                    .collect()
            } else {
                vec![args[3..].join(" ")]
            };
            let mut took = Vec::new();
            for q in &queries {
                let started = Instant::now();
                let clauses: Vec<(Occur, Box<dyn Query>)> = words(&jieba, q)
                    .into_iter()
                    .map(|w| {
                        let term = TermQuery::new(
                            Term::from_field_text(text, &w),
                            IndexRecordOption::WithFreqs,
                        );
                        (Occur::Should, Box::new(term) as Box<dyn Query>)
                    })
                    .collect();
                let top = searcher
                    .search(
                        &BooleanQuery::new(clauses),
                        &TopDocs::with_limit(10).order_by_score(),
                    )
                    .unwrap();
                let hits: Vec<String> = top
                    .iter()
                    .map(|(_, address)| {
                        let doc: TantivyDocument = searcher.doc(*address).unwrap();
                        doc.get_first(path)
                            .and_then(|v| v.as_str())
                            .unwrap_or_default()
                            .to_string()
                    })
                    .collect();
                took.push(started.elapsed().as_secs_f64() * 1000.0);
                match args[1].as_str() {
                    "search" => println!("{}", hits.join("\n")),
                    "hits" => println!("{}", serde_json::to_string(&hits).unwrap()),
                    _ => {}
                }
            }
            took.sort_by(f64::total_cmp);
            let at = |q: f64| took[((took.len() - 1) as f64 * q).round() as usize];
            if args[1] == "batch" {
                println!(
                    "{{\"queries\": {}, \"p50_ms\": {:.3}, \"p99_ms\": {:.3}}}",
                    took.len(),
                    at(0.5),
                    at(0.99)
                );
            }
        }
        other => panic!("unknown command {other}: index, batch, hits or search"),
    }
}

/// Every .md and .txt file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "md" || e == "txt") {
            files.push(path);
        }
    }
    files
}
