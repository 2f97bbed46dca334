//! The files of an index folder, and sweeping out those no commit references.
//!
//! A commit is `meta.json`: it names the segments, and for each its delete
//! file (`<segment>.<opstamp>.del`). Anything else in the folder with a
//! segment file's name is left over from a run that was killed or failed:
//! segments written but never committed, a delete file written just before
//! the `meta.json` switch, files moved in by an install that never switched.
//! Leftovers are not only wasted space: tantivy numbers a new delete file by
//! the opstamp the last commit ends at, so a killed update's `.del` file has
//! exactly the name the next update writes, and tantivy refuses to overwrite
//! it (`FileAlreadyExists`): the index could never be updated again.
//!
//! tantivy's own garbage collection only deletes what its `.managed.json`
//! lists, and an install moves files in before that list names them, so
//! [`sweep`] works from `meta.json` instead, under the update lock (no other
//! writer) and tantivy's meta lock (no search between reading `meta.json`
//! and opening the files it names).

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use tantivy::Index;
use tantivy::directory::{Directory, META_LOCK};

/// Tantivy's list of the files it manages in an index folder.
pub const MANAGED_LIST: &str = ".managed.json";

/// What [`sweep`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub files: usize,
    pub bytes: u64,
}

/// Deletes every segment file of `index_dir` that the commit of `index`
/// (opened on that folder) does not reference, and the temporary files of
/// atomic writes, then rewrites tantivy's list of its files to match. Call it
/// under the update lock, before a writer starts.
pub fn sweep(index_dir: &Path, index: &Index) -> Result<Swept> {
    let context = || format!("cannot clean up the index folder '{}'", index_dir.display());
    remove_temp_files(index_dir);
    let _meta_lock = index
        .directory()
        .acquire_lock(&META_LOCK)
        .with_context(context)?;
    let metas = index.searchable_segment_metas().with_context(context)?;
    let referenced: HashSet<String> = metas
        .iter()
        .flat_map(|meta| {
            let id = meta.id().uuid_string();
            let mut names: Vec<String> = SEGMENT_EXTENSIONS
                .iter()
                .map(|ext| format!("{id}.{ext}"))
                .collect();
            if let Some(opstamp) = meta.delete_opstamp() {
                names.push(format!("{id}.{opstamp}.del"));
            }
            names
        })
        .collect();
    let mut swept = Swept::default();
    let mut kept = vec!["meta.json".to_string()];
    for entry in fs::read_dir(index_dir).with_context(context)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_segment_file(&name) {
            continue;
        }
        if referenced.contains(&name) {
            kept.push(name);
            continue;
        }
        let bytes = entry.metadata().map_or(0, |m| m.len());
        fs::remove_file(entry.path())
            .with_context(|| format!("cannot delete the leftover index file '{name}'"))
            .with_context(context)?;
        swept.files += 1;
        swept.bytes += bytes;
    }
    write_managed(index_dir, &kept).with_context(context)?;
    Ok(swept)
}

/// The extensions of a segment's files besides its delete file.
const SEGMENT_EXTENSIONS: &[&str] = &[
    "idx",
    "pos",
    "term",
    "store",
    "fast",
    "fieldnorm",
    super::passages::EXTENSION,
];

/// The files tantivy lists as its own in `dir` (`.managed.json`).
pub fn managed_files(dir: &Path) -> Result<Vec<String>> {
    let path = dir.join(MANAGED_LIST);
    let bytes = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("cannot parse {}", path.display()))
}

/// Replaces `.managed.json` atomically.
pub fn write_managed<'s>(dir: &Path, files: impl IntoIterator<Item = &'s String>) -> Result<()> {
    let mut files: Vec<&String> = files.into_iter().collect();
    files.sort();
    files.dedup();
    let temp = dir.join(MANAGED_TEMP);
    let file = fs::File::create(&temp)?;
    serde_json::to_writer(&file, &files)?;
    file.sync_all()?;
    fs::rename(&temp, dir.join(MANAGED_LIST))?;
    Ok(())
}

/// Where [`write_managed`] writes before its rename.
const MANAGED_TEMP: &str = ".managed.json.zhsearch-new";

/// Removes the temporary files of atomic writes that a killed run left behind
/// (tantivy writes `meta.json` through `.tmpXXXXXX`). Only called under the
/// update lock, when no other writer can be mid-write.
pub fn remove_temp_files(index_dir: &Path) {
    let Ok(entries) = fs::read_dir(index_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let temp = name.len() == ".tmp".len() + 6 && name.starts_with(".tmp")
            || name == MANAGED_TEMP
            || name == super::readings::READINGS_TEMP;
        if temp && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Whether `name` is a tantivy segment file: 32 hex digits, a dot, an extension.
pub fn is_segment_file(name: &str) -> bool {
    let Some((id, ext)) = name.split_at_checked(32) else {
        return false;
    };
    id.bytes().all(|b| b.is_ascii_hexdigit()) && ext.starts_with('.') && ext.len() > 1
}

/// Makes renames in `dir` durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_file_names() {
        assert!(is_segment_file("0123456789abcdef0123456789abcdef.idx"));
        assert!(is_segment_file("0123456789abcdef0123456789abcdef.12.del"));
        assert!(!is_segment_file("meta.json"));
        assert!(!is_segment_file("0123456789abcdef0123456789abcdef"));
        assert!(!is_segment_file("000_faa1a318271c8744.txt"));
        assert!(!is_segment_file("注销指南注销指南注销指南注销指南.md"));
    }

    #[test]
    fn sweeping_deletes_what_the_commit_does_not_name() {
        use tantivy::schema::{STRING, Schema};
        let dir = tempfile::tempdir().unwrap();
        let mut schema = Schema::builder();
        let field = schema.add_text_field("id", STRING);
        let index = Index::create_in_dir(dir.path(), schema.build()).unwrap();
        let mut writer: tantivy::IndexWriter =
            index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.add_document(tantivy::doc!(field => "a")).unwrap();
        writer.commit().unwrap();
        writer.delete_term(tantivy::Term::from_field_text(field, "a"));
        writer.add_document(tantivy::doc!(field => "b")).unwrap();
        writer.commit().unwrap();
        drop(writer);
        let before: HashSet<String> = segment_names(dir.path());
        // What a killed run leaves: a delete file and a segment never committed.
        let strays = [
            "ffffffffffffffffffffffffffffffff.idx",
            "ffffffffffffffffffffffffffffffff.store",
        ];
        let live = index.searchable_segment_metas().unwrap();
        let stale_del = format!("{}.999.del", live[0].id().uuid_string());
        for name in strays.iter().copied().chain([stale_del.as_str()]) {
            fs::write(dir.path().join(name), b"left over").unwrap();
        }
        fs::write(dir.path().join(".tmp123abc"), b"half a meta.json").unwrap();
        let swept = sweep(dir.path(), &index).unwrap();
        assert_eq!(swept.files, 3);
        assert_eq!(swept.bytes, 3 * "left over".len() as u64);
        assert!(!dir.path().join(".tmp123abc").exists());
        let after = segment_names(dir.path());
        // Tantivy's own collection ran at commit; nothing it needs is gone.
        let live_files: HashSet<String> = before.into_iter().collect();
        assert!(after.is_subset(&live_files), "{after:?}");
        let reopened = Index::open_in_dir(dir.path()).unwrap();
        let searcher = reopened.reader().unwrap().searcher();
        assert_eq!(searcher.num_docs(), 1);
        let mut managed = managed_files(dir.path()).unwrap();
        managed.retain(|n| n != "meta.json");
        assert_eq!(managed.into_iter().collect::<HashSet<_>>(), after);
    }

    fn segment_names(dir: &Path) -> HashSet<String> {
        fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| is_segment_file(n))
            .collect()
    }
}
