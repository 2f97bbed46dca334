//! The passage store: each segment's passages (path, line, title, heading,
//! text) in a `.passages` file of its own, which serves the hits of a search.
//!
//! tantivy's document store compresses blocks with zstd but no dictionary, so
//! small blocks compress badly, and it stores every field of every passage,
//! so an article's path and title are written once per passage. This store
//! writes them once per block (a record says which of them changed), and
//! compresses 16 KB blocks with a zstd dictionary, trained on the first
//! passages an index is given and shared by its segments. It is a tantivy
//! [`SegmentPlugin`]: its files are written, merged, checksummed and deleted
//! with the segment they belong to.
//!
//! A file is its compressed blocks, then the dictionary, then one entry per
//! block (first passage, offset, decompressed length), then a fixed footer;
//! tantivy appends its checksum after that.

use std::any::Any;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use quick_cache::Weighter;
use quick_cache::sync::Cache;
use tantivy::directory::{OwnedBytes, TerminatingWrite, WritePtr};
use tantivy::index::{SegmentComponent, SegmentId};
use tantivy::indexer::doc_id_mapping::{DocIdMapping, MappingType};
use tantivy::schema::document::ErasedDocument;
use tantivy::schema::{Schema, Value};
use tantivy::{
    DocAddress, DocId, PluginMergeContext, PluginWriter, PluginWriterContext, Searcher, Segment,
    SegmentPlugin, SegmentReader, TantivyDocument, TantivyError,
};

use super::Fields;

/// Extension of the passage files.
pub const EXTENSION: &str = "passages";

/// Bytes of records compressed together, at most (unless one record is
/// larger): reading a hit decompresses its block. On x1 (14.7 MB of text,
/// zstd level 3, a 110 KB dictionary) a store took 5.28 MB with 8 KB
/// blocks, 5.27 with 16 KB, 5.23 with 32 KB and 5.21 with 64 KB, and
/// reading a block took 18, 25, 68 and 122 µs; tantivy's store of the same
/// passages (64 KB blocks, level 5, no dictionary) took 6.35 MB.
const BLOCK_BYTES: usize = 16 * 1024;

/// zstd level. x1's store (16 KB blocks, the 256 KB dictionary included)
/// took 5.18 MB at level 3, 5.10 at 4, 4.98 at 5, 4.84 at 6, 4.78 at 7
/// and 4.75 at 9; x1's whole build (user+sys, mean of 5 alternating runs)
/// took 1.88 s of CPU at level 3, 2.04 s at 6 and 2.22 s at 9. Past 6 the
/// bytes saved flatten while the CPU keeps growing; the 0.34 MB level 6
/// saves are what brings x1's index under 1.2× its text. Merges copy
/// blocks, so a block is compressed once; reading is as fast at any level.
const ZSTD_LEVEL: i32 = 6;

/// Records the index's dictionary is trained on: the first passages of a
/// segment, once there are this many bytes of them. Training on 1 MB took
/// 0.12–0.19 s on x1. A segment with less text before the index has a
/// dictionary goes without: a dictionary trained on it would be the
/// index's from then on, and so few passages gain little from one.
const DICTIONARY_SAMPLE_BYTES: usize = 1 << 20;

/// Largest dictionary trained. On x1 with 16 KB blocks and 1 MB of
/// samples a store took 7.02 MB without a dictionary, 5.86 with 16 KB,
/// 5.59 with 32 KB, 5.29 with 110 KB (zstd's default) or 128 KB, 5.15 with
/// 256 KB, 5.18 with 384 KB and 5.24 with 512 KB, the dictionary included.
const DICTIONARY_BYTES: usize = 256 * 1024;

/// A block larger than this when decompressed is damage: no record is
/// larger than the largest article read.
const MAX_BLOCK_BYTES: u64 = crate::corpus::MAX_ARTICLE_BYTES + BLOCK_BYTES as u64;

const MAGIC: &[u8; 4] = b"ZHPS";
const FORMAT_VERSION: u32 = 1;
/// magic, version, passages, blocks, dictionary offset, dictionary length.
const FOOTER_BYTES: usize = 4 + 4 + 4 + 4 + 8 + 8;
/// first passage (u32), offset (u64), decompressed length (u32).
const ENTRY_BYTES: usize = 4 + 8 + 4;

const HAS_PATH: u8 = 1;
const HAS_TITLE: u8 = 2;
const HAS_HEADING: u8 = 4;

/// One stored passage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPassage {
    pub path: String,
    pub line: u64,
    pub title: String,
    pub heading: String,
    pub text: String,
}

/// A trained zstd dictionary; empty for none.
type Dictionary = Arc<Vec<u8>>;

/// The plugin every zhsearch index registers (see [`super::schema::open`]).
///
/// All segments of an index share one dictionary, trained on the first
/// segment with enough text: a segment's dictionary is the plugin's, or
/// else that of a segment already in the index, or else trained on its
/// own first passages. A merge of segments with the same dictionary copies
/// their blocks as they are, except those that lost passages to deletes:
/// compressing every merge again cost 14% more CPU for the x10 build.
#[derive(Default)]
pub struct PassagePlugin {
    dictionary: Arc<Mutex<Option<Dictionary>>>,
}

impl PassagePlugin {
    /// The index's dictionary, looked up in its segments on first use.
    fn dictionary(&self, segment: &Segment) -> Option<Dictionary> {
        let mut kept = self.dictionary.lock().unwrap_or_else(|e| e.into_inner());
        if kept.is_none() {
            let segments = segment.index().searchable_segments().unwrap_or_default();
            *kept = segments.iter().find_map(|s| {
                let bytes = s.open_read(component()).ok()?.read_bytes().ok()?;
                let file = PassageFile::parse(bytes).ok()?;
                let dictionary = file.dictionary_bytes();
                (!dictionary.is_empty()).then(|| Arc::new(dictionary.to_vec()))
            });
        }
        kept.clone()
    }
}

impl SegmentPlugin for PassagePlugin {
    fn extensions(&self) -> &[&str] {
        &[EXTENSION]
    }

    fn create_writer(&self, ctx: &PluginWriterContext) -> tantivy::Result<Box<dyn PluginWriter>> {
        let fields = Fields::from_schema(&ctx.segment.schema())?;
        let file = ctx.segment.open_write(component())?;
        let dictionary = self.dictionary(ctx.segment);
        Ok(Box::new(SegmentPassages {
            fields,
            blocks: BlockWriter::threaded(BlockSink::new(
                file,
                dictionary,
                Arc::clone(&self.dictionary),
            ))?,
        }))
    }

    /// Writes the merged segment's passages in their new order: blocks with
    /// the target's dictionary and no deleted passage as they are, the
    /// others decompressed and compressed again.
    fn merge(&self, ctx: PluginMergeContext) -> tantivy::Result<()> {
        if ctx.doc_id_mapping.mapping_type() == MappingType::Shuffled {
            // Only index sorting reorders a merge, and zhsearch sorts none.
            return Err(unsorted());
        }
        let sources: Vec<PassageFile> = ctx
            .readers
            .iter()
            .map(PassageFile::open)
            .collect::<tantivy::Result<_>>()?;
        let dictionary = self.dictionary(ctx.target_segment).or_else(|| {
            sources
                .iter()
                .filter(|s| !s.dictionary_bytes().is_empty())
                .max_by_key(|s| s.num_docs)
                .map(|s| Arc::new(s.dictionary_bytes().to_vec()))
        });
        let file = ctx.target_segment.open_write(component())?;
        let sink = BlockSink::new(file, dictionary.clone(), Arc::clone(&self.dictionary));
        let mut blocks = BlockWriter::new(sink);
        // A stacked merge: each segment's live passages in order, segment after segment.
        for (reader, source) in ctx.readers.iter().zip(&sources) {
            let same = dictionary
                .as_deref()
                .is_some_and(|d| d.as_slice() == source.dictionary_bytes());
            for ord in 0..source.entries.len() {
                let docs = source.docs_of(ord);
                let alive = |doc| reader.alive_bitset().is_none_or(|a| a.is_alive(doc));
                if same && docs.clone().all(alive) {
                    blocks.copy(source, ord)?;
                    continue;
                }
                let block = source.decode(ord)?;
                for doc in docs.filter(|&doc| alive(doc)) {
                    blocks.add(block.get(doc)?)?;
                }
            }
        }
        blocks.finish()
    }
}

fn component() -> SegmentComponent {
    SegmentComponent::Custom(EXTENSION.to_string())
}

fn unsorted() -> TantivyError {
    TantivyError::InvalidArgument("the passage store does not support index sorting".into())
}

fn damaged(what: &str) -> TantivyError {
    TantivyError::InvalidArgument(format!("damaged passage store: {what}"))
}

/// The passages of a segment being indexed.
struct SegmentPassages {
    /// Where a passage is read from in the document indexed.
    fields: Fields,
    blocks: BlockWriter,
}

impl PluginWriter for SegmentPassages {
    fn add_document(
        &mut self,
        _doc_id: DocId,
        doc: &dyn ErasedDocument,
        _schema: &Schema,
    ) -> tantivy::Result<()> {
        let doc = doc
            .as_any()
            .downcast_ref::<TantivyDocument>()
            .ok_or_else(|| TantivyError::InvalidArgument("not a passage document".into()))?;
        let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("");
        let s = self.fields;
        self.blocks.add(PassageRef {
            path: text(s.path),
            line: doc.get_first(s.line).and_then(|v| v.as_u64()).unwrap_or(0),
            title: text(s.title),
            heading: text(s.heading),
            text: text(s.text),
        })
    }

    fn serialize(
        self: Box<Self>,
        _segment: &Segment,
        doc_id_map: Option<&DocIdMapping>,
    ) -> tantivy::Result<()> {
        if doc_id_map.is_some() {
            // Only index sorting reorders a new segment, and zhsearch sorts none.
            return Err(unsorted());
        }
        self.blocks.finish()
    }

    fn mem_usage(&self) -> usize {
        self.blocks.mem_usage()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// A passage to store, borrowed.
#[derive(Debug, Clone, Copy)]
struct PassageRef<'a> {
    path: &'a str,
    line: u64,
    title: &'a str,
    heading: &'a str,
    text: &'a str,
}

impl PassageRef<'_> {
    fn into_stored(self) -> StoredPassage {
        StoredPassage {
            path: self.path.to_string(),
            line: self.line,
            title: self.title.to_string(),
            heading: self.heading.to_string(),
            text: self.text.to_string(),
        }
    }
}

impl StoredPassage {
    #[cfg(test)]
    fn borrowed(&self) -> PassageRef<'_> {
        PassageRef {
            path: &self.path,
            line: self.line,
            title: &self.title,
            heading: &self.heading,
            text: &self.text,
        }
    }
}

/// Cuts records into blocks for its [`BlockSink`], which compresses and
/// writes them: on a thread of its own while a segment is indexed (see
/// [`BlockWriter::threaded`]), here in a merge.
struct BlockWriter {
    block: Vec<u8>,
    /// Length of each record of the block: the dictionary's samples.
    record_sizes: Vec<usize>,
    block_first: u32,
    /// The previous record of the block: what the next one need not repeat.
    last: Option<(String, String, String)>,
    passages: u32,
    sink: Sink,
}

/// Where sealed blocks go.
enum Sink {
    Here(BlockSink),
    Thread {
        jobs: SyncSender<Job>,
        worker: JoinHandle<tantivy::Result<()>>,
        /// Bytes sent and not yet written, for [`PluginWriter::mem_usage`].
        pending: Arc<AtomicUsize>,
    },
}

/// Work for a sink's thread.
enum Job {
    Block {
        first: u32,
        raw: Vec<u8>,
        record_sizes: Vec<usize>,
    },
    Finish {
        passages: u32,
    },
}

/// Blocks a writer thread may send ahead of its sink (1 MB).
const BLOCKS_IN_FLIGHT: usize = 64;

impl BlockWriter {
    fn new(sink: BlockSink) -> BlockWriter {
        BlockWriter::with_sink(Sink::Here(sink))
    }

    fn with_sink(sink: Sink) -> BlockWriter {
        BlockWriter {
            block: Vec::with_capacity(2 * BLOCK_BYTES),
            record_sizes: Vec::new(),
            block_first: 0,
            last: None,
            passages: 0,
            sink,
        }
    }

    /// A writer whose sink compresses on a thread of its own: compressing
    /// on the thread that indexes made the x1 build 0.3 s (11%) longer
    /// than tantivy's store, which compresses on a thread of its own too.
    fn threaded(mut sink: BlockSink) -> tantivy::Result<BlockWriter> {
        let (jobs, received) = std::sync::mpsc::sync_channel::<Job>(BLOCKS_IN_FLIGHT);
        let pending = Arc::new(AtomicUsize::new(0));
        sink.pending = Some(Arc::clone(&pending));
        let worker = std::thread::Builder::new()
            .name("zhsearch-passages".into())
            .spawn(move || {
                for job in received {
                    match job {
                        Job::Block {
                            first,
                            raw,
                            record_sizes,
                        } => sink.block(first, raw, record_sizes)?,
                        Job::Finish { passages } => return sink.finish(passages),
                    }
                }
                // The writer was dropped: its segment is abandoned.
                Ok(())
            })?;
        Ok(BlockWriter::with_sink(Sink::Thread {
            jobs,
            worker,
            pending,
        }))
    }

    fn add(&mut self, p: PassageRef) -> tantivy::Result<()> {
        let mut flags = self.changed(&p);
        if !self.block.is_empty() && self.block.len() + record_len(&p, flags) > BLOCK_BYTES {
            self.seal()?;
            flags = self.changed(&p);
        }
        let start = self.block.len();
        put_record(&mut self.block, &p, flags);
        if flags != 0 {
            self.last = Some((p.path.into(), p.title.into(), p.heading.into()));
        }
        self.record_sizes.push(self.block.len() - start);
        self.passages = self
            .passages
            .checked_add(1)
            .ok_or_else(|| TantivyError::InvalidArgument("too many passages".into()))?;
        Ok(())
    }

    /// The flags of what `p` does not share with the block's previous record.
    fn changed(&self, p: &PassageRef) -> u8 {
        let Some((path, title, heading)) = &self.last else {
            return HAS_PATH | HAS_TITLE | HAS_HEADING;
        };
        let flag = |changed: bool, flag: u8| if changed { flag } else { 0 };
        flag(path != p.path, HAS_PATH)
            | flag(title != p.title, HAS_TITLE)
            | flag(heading != p.heading, HAS_HEADING)
    }

    /// Ends the current block and gives it to the sink.
    fn seal(&mut self) -> tantivy::Result<()> {
        if self.block.is_empty() {
            return Ok(());
        }
        let raw = std::mem::replace(&mut self.block, Vec::with_capacity(2 * BLOCK_BYTES));
        let record_sizes = std::mem::take(&mut self.record_sizes);
        let first = std::mem::replace(&mut self.block_first, self.passages);
        self.last = None;
        match &mut self.sink {
            Sink::Here(sink) => sink.block(first, raw, record_sizes),
            Sink::Thread { jobs, pending, .. } => {
                pending.fetch_add(raw.len(), Ordering::Relaxed);
                let job = Job::Block {
                    first,
                    raw,
                    record_sizes,
                };
                if jobs.send(job).is_ok() {
                    return Ok(());
                }
                // The sink's thread stopped on an error: finish says which.
                Err(TantivyError::InvalidArgument(
                    "the passage store stopped writing".into(),
                ))
            }
        }
    }

    /// Appends block `ord` of `source`, compressed with the same dictionary.
    fn copy(&mut self, source: &PassageFile, ord: usize) -> tantivy::Result<()> {
        // A block of one's own first: entries follow the passages' order.
        self.seal()?;
        let Sink::Here(sink) = &mut self.sink else {
            return Err(TantivyError::InvalidArgument(
                "blocks are copied by merges only".into(),
            ));
        };
        sink.copy(self.passages, source, ord)?;
        let count = source.docs_of(ord).len() as u32;
        self.passages = self
            .passages
            .checked_add(count)
            .ok_or_else(|| TantivyError::InvalidArgument("too many passages".into()))?;
        self.block_first = self.passages;
        Ok(())
    }

    fn mem_usage(&self) -> usize {
        let sink = match &self.sink {
            Sink::Here(sink) => sink.waiting_bytes + sink.entries.len() * ENTRY_BYTES,
            Sink::Thread { pending, .. } => pending.load(Ordering::Relaxed),
        };
        self.block.capacity() + sink
    }

    fn finish(mut self) -> tantivy::Result<()> {
        let sealed = self.seal();
        let passages = self.passages;
        match self.sink {
            Sink::Here(sink) => sealed.and_then(|()| sink.finish(passages)),
            Sink::Thread { jobs, worker, .. } => {
                let _ = jobs.send(Job::Finish { passages });
                drop(jobs);
                let written = worker.join().map_err(|_| {
                    TantivyError::InvalidArgument("the passage store's thread panicked".into())
                })?;
                // The thread's error, when it stopped, says more than the seal's.
                written.and(sealed)
            }
        }
    }
}

/// Compresses blocks and writes them. Until the dictionary is trained,
/// the blocks wait uncompressed.
struct BlockSink {
    file: WritePtr,
    written: u64,
    /// The dictionary, once chosen (`Some(empty)`: none).
    dictionary: Option<Dictionary>,
    /// Where a dictionary this sink trains is offered to the next segments.
    shared: Arc<Mutex<Option<Dictionary>>>,
    compressor: Option<zstd::bulk::Compressor<'static>>,
    /// Blocks not yet compressed (before the dictionary), with their first passage.
    waiting: Vec<(u32, Vec<u8>)>,
    /// Length of each record waiting, the dictionary's samples.
    sample_sizes: Vec<usize>,
    waiting_bytes: usize,
    /// (first passage, offset, decompressed length) of each block written.
    entries: Vec<(u32, u64, u32)>,
    /// The writer's count of bytes not yet written, when on a thread.
    pending: Option<Arc<AtomicUsize>>,
}

impl BlockSink {
    fn new(
        file: WritePtr,
        dictionary: Option<Dictionary>,
        shared: Arc<Mutex<Option<Dictionary>>>,
    ) -> BlockSink {
        BlockSink {
            file,
            written: 0,
            dictionary,
            shared,
            compressor: None,
            waiting: Vec::new(),
            sample_sizes: Vec::new(),
            waiting_bytes: 0,
            entries: Vec::new(),
            pending: None,
        }
    }

    /// Block `raw` of passages from `first`: compressed and written, or
    /// kept waiting for the dictionary.
    fn block(&mut self, first: u32, raw: Vec<u8>, record_sizes: Vec<usize>) -> tantivy::Result<()> {
        if self.dictionary.is_none() {
            self.waiting_bytes += raw.len();
            self.waiting.push((first, raw));
            self.sample_sizes.extend(record_sizes);
            if self.waiting_bytes >= DICTIONARY_SAMPLE_BYTES {
                self.train();
            }
            return self.write_waiting();
        }
        self.write_block(first, &raw)
    }

    /// Trains the dictionary on the waiting records (none when too few).
    fn train(&mut self) {
        if self.waiting_bytes < DICTIONARY_SAMPLE_BYTES {
            self.dictionary = Some(Arc::default());
            return;
        }
        // Held while training: a second writer thread with enough passages
        // waits and takes the first one's dictionary, so that a build has
        // one and its merges copy every block.
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        if shared.is_none() {
            let samples: Vec<u8> = self
                .waiting
                .iter()
                .flat_map(|(_, b)| b.iter().copied())
                .collect();
            // Too uniform or too few samples: zstd refuses, and the store
            // goes without.
            *shared = zstd::dict::from_continuous(&samples, &self.sample_sizes, DICTIONARY_BYTES)
                .ok()
                .filter(|d| !d.is_empty())
                .map(Arc::new);
        }
        self.dictionary = Some(shared.clone().unwrap_or_default());
        self.sample_sizes = Vec::new();
    }

    /// Appends block `ord` of `source` as passages from `first`.
    fn copy(&mut self, first: u32, source: &PassageFile, ord: usize) -> tantivy::Result<()> {
        let (_, _, raw_len) = source.entries[ord];
        let compressed = source.compressed(ord);
        self.file.write_all(compressed)?;
        self.entries.push((first, self.written, raw_len));
        self.written += compressed.len() as u64;
        Ok(())
    }

    fn write_waiting(&mut self) -> tantivy::Result<()> {
        if self.dictionary.is_none() {
            return Ok(());
        }
        for (first, block) in std::mem::take(&mut self.waiting) {
            self.write_block(first, &block)?;
        }
        self.waiting_bytes = 0;
        Ok(())
    }

    fn write_block(&mut self, first: u32, block: &[u8]) -> tantivy::Result<()> {
        if self.compressor.is_none() {
            let dictionary = self.dictionary.as_ref().map_or(&[][..], |d| d.as_slice());
            self.compressor = Some(zstd::bulk::Compressor::with_dictionary(
                ZSTD_LEVEL, dictionary,
            )?);
        }
        let compressor = self.compressor.as_mut().expect("just set");
        let compressed = compressor.compress(block)?;
        self.file.write_all(&compressed)?;
        let raw_len = u32::try_from(block.len())
            .map_err(|_| TantivyError::InvalidArgument("a passage over 4 GB".into()))?;
        self.entries.push((first, self.written, raw_len));
        self.written += compressed.len() as u64;
        if let Some(pending) = &self.pending {
            pending.fetch_sub(block.len(), Ordering::Relaxed);
        }
        Ok(())
    }

    fn finish(mut self, passages: u32) -> tantivy::Result<()> {
        if self.dictionary.is_none() {
            self.train();
        }
        self.write_waiting()?;
        let dictionary = self.dictionary.take().unwrap_or_default();
        let dictionary_offset = self.written;
        let mut file = self.file;
        file.write_all(&dictionary)?;
        for &(first, offset, raw_len) in &self.entries {
            file.write_all(&first.to_le_bytes())?;
            file.write_all(&offset.to_le_bytes())?;
            file.write_all(&raw_len.to_le_bytes())?;
        }
        file.write_all(MAGIC)?;
        file.write_all(&FORMAT_VERSION.to_le_bytes())?;
        file.write_all(&passages.to_le_bytes())?;
        let blocks = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
        file.write_all(&blocks.to_le_bytes())?;
        file.write_all(&dictionary_offset.to_le_bytes())?;
        file.write_all(&(dictionary.len() as u64).to_le_bytes())?;
        file.terminate()?;
        Ok(())
    }
}

/// Appends `p`'s record: its flags, line, what the flags say changed, text.
fn put_record(out: &mut Vec<u8>, p: &PassageRef, flags: u8) {
    out.push(flags);
    put_varint(out, p.line);
    for (flag, value) in [
        (HAS_PATH, p.path),
        (HAS_TITLE, p.title),
        (HAS_HEADING, p.heading),
    ] {
        if flags & flag != 0 {
            put_str(out, value);
        }
    }
    put_str(out, p.text);
}

/// Bytes of `p`'s record with `flags`.
fn record_len(p: &PassageRef, flags: u8) -> usize {
    let str_len = |s: &str| varint_len(s.len() as u64) + s.len();
    let mut len = 1 + varint_len(p.line) + str_len(p.text);
    for (flag, value) in [
        (HAS_PATH, p.path),
        (HAS_TITLE, p.title),
        (HAS_HEADING, p.heading),
    ] {
        if flags & flag != 0 {
            len += str_len(value);
        }
    }
    len
}

fn varint_len(value: u64) -> usize {
    (64 - (value | 1).leading_zeros() as usize).div_ceil(7)
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Reads records back, refusing any that run past the block.
struct RecordReader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl RecordReader<'_> {
    fn byte(&mut self) -> tantivy::Result<u8> {
        let byte = *self
            .bytes
            .get(self.at)
            .ok_or_else(|| damaged("cut record"))?;
        self.at += 1;
        Ok(byte)
    }

    fn varint(&mut self) -> tantivy::Result<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(damaged("bad length"))
    }

    /// The range of the string that comes next.
    fn str(&mut self) -> tantivy::Result<std::ops::Range<u32>> {
        let len = self.varint()?;
        let end = (self.at as u64)
            .checked_add(len)
            .filter(|&end| end <= self.bytes.len() as u64)
            .ok_or_else(|| damaged("cut record"))?;
        let range = self.at as u32..end as u32;
        self.at = end as usize;
        Ok(range)
    }
}

/// Where a record's fields are in its block (those it did not repeat, in
/// an earlier record's).
#[derive(Debug, Clone)]
struct Record {
    line: u64,
    path: std::ops::Range<u32>,
    title: std::ops::Range<u32>,
    heading: std::ops::Range<u32>,
    text: std::ops::Range<u32>,
}

/// One block decompressed: its bytes and where each record's fields are.
/// Text is checked to be UTF-8 when read, not for every record decoded:
/// checking all took a quarter of the time of phrase queries that confirm
/// thousands of candidates, each in another block.
#[derive(Debug, Clone)]
pub struct Block {
    first: u32,
    raw: Vec<u8>,
    records: Vec<Record>,
}

impl Block {
    fn parse(first: u32, count: usize, raw: Vec<u8>) -> tantivy::Result<Block> {
        // A record takes 3 bytes at least (flags, line, the text's length):
        // a larger count is damage, which must not size an allocation.
        if count > raw.len() / 3 {
            return Err(damaged("more passages than a block can hold"));
        }
        let mut reader = RecordReader { bytes: &raw, at: 0 };
        let mut records: Vec<Record> = Vec::with_capacity(count);
        for _ in 0..count {
            let flags = reader.byte()?;
            let line = reader.varint()?;
            let previous = records.last();
            let mut field = |flag: u8, of: fn(&Record) -> &std::ops::Range<u32>| {
                if flags & flag != 0 {
                    reader.str()
                } else {
                    Ok(previous.map_or(0..0, |r| of(r).clone()))
                }
            };
            let path = field(HAS_PATH, |r| &r.path)?;
            let title = field(HAS_TITLE, |r| &r.title)?;
            let heading = field(HAS_HEADING, |r| &r.heading)?;
            let text = reader.str()?;
            records.push(Record {
                line,
                path,
                title,
                heading,
                text,
            });
        }
        if reader.at != raw.len() {
            return Err(damaged("bytes after the last record"));
        }
        Ok(Block {
            first,
            raw,
            records,
        })
    }

    fn record(&self, doc: DocId) -> tantivy::Result<&Record> {
        doc.checked_sub(self.first)
            .and_then(|i| self.records.get(i as usize))
            .ok_or_else(|| damaged("a passage outside its block"))
    }

    fn str(&self, range: &std::ops::Range<u32>) -> tantivy::Result<&str> {
        let bytes = &self.raw[range.start as usize..range.end as usize];
        std::str::from_utf8(bytes).map_err(|_| damaged("text that is not UTF-8"))
    }

    /// Passage `doc`, borrowed from the block.
    fn get(&self, doc: DocId) -> tantivy::Result<PassageRef<'_>> {
        let record = self.record(doc)?;
        Ok(PassageRef {
            path: self.str(&record.path)?,
            line: record.line,
            title: self.str(&record.title)?,
            heading: self.str(&record.heading)?,
            text: self.str(&record.text)?,
        })
    }

    /// The text of passage `doc`.
    fn text(&self, doc: DocId) -> tantivy::Result<&str> {
        self.str(&self.record(doc)?.text)
    }

    fn bytes(&self) -> usize {
        self.raw.len() + self.records.len() * std::mem::size_of::<Record>()
    }
}

/// One segment's passage file, opened.
pub struct PassageFile {
    bytes: OwnedBytes,
    /// (first passage, offset, decompressed length) of each block.
    entries: Vec<(u32, u64, u32)>,
    blocks_end: u64,
    dictionary: std::ops::Range<usize>,
    num_docs: u32,
    /// Decompression contexts with the dictionary loaded, for reuse:
    /// loading it for every block took longer than the block's
    /// decompression.
    decoders: Mutex<Vec<zstd::bulk::Decompressor<'static>>>,
}

impl PassageFile {
    /// Opens the passage file of `segment`, checking its footer and block entries.
    pub fn open(segment: &SegmentReader) -> tantivy::Result<PassageFile> {
        let bytes = segment.open_read(component())?.read_bytes()?;
        let file = PassageFile::parse(bytes)?;
        if file.num_docs != segment.max_doc() {
            return Err(damaged("a passage count that is not its segment's"));
        }
        Ok(file)
    }

    fn parse(bytes: OwnedBytes) -> tantivy::Result<PassageFile> {
        let data = bytes.as_slice();
        let footer_at = data
            .len()
            .checked_sub(FOOTER_BYTES)
            .ok_or_else(|| damaged("a file shorter than its footer"))?;
        let footer = &data[footer_at..];
        let u32_at = |at: usize| u32::from_le_bytes(footer[at..at + 4].try_into().unwrap());
        let u64_at = |at: usize| u64::from_le_bytes(footer[at..at + 8].try_into().unwrap());
        if &footer[..4] != MAGIC || u32_at(4) != FORMAT_VERSION {
            return Err(damaged("an unknown footer"));
        }
        let num_docs = u32_at(8);
        let blocks = u32_at(12) as usize;
        let (dictionary_offset, dictionary_len) = (u64_at(16), u64_at(24));
        let entries_len = blocks
            .checked_mul(ENTRY_BYTES)
            .ok_or_else(|| damaged("too many blocks"))?;
        let entries_at = footer_at
            .checked_sub(entries_len)
            .ok_or_else(|| damaged("block entries past the start"))?;
        let dictionary_end = dictionary_offset
            .checked_add(dictionary_len)
            .filter(|&end| end == entries_at as u64)
            .ok_or_else(|| damaged("a misplaced dictionary"))?;
        let mut entries = Vec::with_capacity(blocks);
        for raw in data[entries_at..footer_at].chunks_exact(ENTRY_BYTES) {
            let first = u32::from_le_bytes(raw[0..4].try_into().unwrap());
            let offset = u64::from_le_bytes(raw[4..12].try_into().unwrap());
            let raw_len = u32::from_le_bytes(raw[12..16].try_into().unwrap());
            entries.push((first, offset, raw_len));
        }
        let ordered = entries
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1);
        let bounded = entries.first().is_none_or(|e| e.0 == 0 && e.1 == 0)
            && entries
                .last()
                .is_none_or(|e| e.0 < num_docs && e.1 < dictionary_offset)
            && entries.iter().all(|e| u64::from(e.2) <= MAX_BLOCK_BYTES)
            && (num_docs == 0) == entries.is_empty();
        if !ordered || !bounded {
            return Err(damaged("block entries out of order"));
        }
        let dictionary = dictionary_offset as usize..dictionary_end as usize;
        let decoder = zstd::bulk::Decompressor::with_dictionary(&data[dictionary.clone()])
            .map_err(|_| damaged("a dictionary zstd cannot read"))?;
        Ok(PassageFile {
            entries,
            blocks_end: dictionary_offset,
            dictionary,
            num_docs,
            decoders: Mutex::new(vec![decoder]),
            bytes,
        })
    }

    fn dictionary_bytes(&self) -> &[u8] {
        &self.bytes.as_slice()[self.dictionary.clone()]
    }

    /// The passages of block `ord`.
    fn docs_of(&self, ord: usize) -> std::ops::Range<DocId> {
        let next = self.entries.get(ord + 1).map_or(self.num_docs, |e| e.0);
        self.entries[ord].0..next
    }

    /// The compressed bytes of block `ord`.
    fn compressed(&self, ord: usize) -> &[u8] {
        let end = self.entries.get(ord + 1).map_or(self.blocks_end, |e| e.1);
        &self.bytes.as_slice()[self.entries[ord].1 as usize..end as usize]
    }

    /// The block holding passage `doc`.
    fn block_of(&self, doc: DocId) -> tantivy::Result<usize> {
        if doc >= self.num_docs {
            return Err(damaged("a passage past the end"));
        }
        Ok(self.entries.partition_point(|e| e.0 <= doc) - 1)
    }

    /// Decompresses block `ord`.
    fn decode(&self, ord: usize) -> tantivy::Result<Block> {
        let (_, _, raw_len) = self.entries[ord];
        let docs = self.docs_of(ord);
        let compressed = self.compressed(ord);
        let kept = self
            .decoders
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop();
        let mut decoder = match kept {
            Some(decoder) => decoder,
            None => zstd::bulk::Decompressor::with_dictionary(self.dictionary_bytes())?,
        };
        let raw = decoder.decompress(compressed, raw_len as usize);
        self.decoders
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(decoder);
        let raw = raw.map_err(|_| damaged("a block that does not decompress"))?;
        if raw.len() != raw_len as usize {
            return Err(damaged("a block of the wrong length"));
        }
        Block::parse(docs.start, docs.len(), raw)
    }
}

/// Weighs cached blocks by their decompressed size.
#[derive(Clone)]
struct BlockBytes;

impl Weighter<(SegmentId, usize), Arc<Block>> for BlockBytes {
    fn weight(&self, _key: &(SegmentId, usize), block: &Arc<Block>) -> u64 {
        block.bytes().max(1) as u64
    }
}

/// The passage files of an index's segments, opened as searches need them,
/// and the blocks they read, kept up to a budget of bytes.
pub struct Passages {
    files: Mutex<Vec<(SegmentId, Arc<PassageFile>)>>,
    blocks: Cache<(SegmentId, usize), Arc<Block>, BlockBytes>,
}

impl Passages {
    /// Keeps up to `cache_bytes` of decompressed blocks.
    pub fn new(cache_bytes: u64) -> Passages {
        // quick_cache sizes its tables from an estimate of the entries.
        let estimated = (cache_bytes / BLOCK_BYTES as u64).clamp(16, 1 << 20) as usize;
        Passages {
            files: Mutex::new(Vec::new()),
            blocks: Cache::with_weighter(estimated, cache_bytes.max(1), BlockBytes),
        }
    }

    /// The passage at `address` of `searcher`.
    pub fn get(&self, searcher: &Searcher, address: DocAddress) -> tantivy::Result<StoredPassage> {
        let segment = searcher.segment_reader(address.segment_ord);
        let file = self.file(searcher, segment)?;
        let ord = file.block_of(address.doc_id)?;
        let key = (segment.segment_id(), ord);
        let block = match self.blocks.get(&key) {
            Some(block) => block,
            None => {
                let block = Arc::new(file.decode(ord)?);
                self.blocks.insert(key, Arc::clone(&block));
                block
            }
        };
        Ok(block.get(address.doc_id)?.into_stored())
    }

    fn file(
        &self,
        searcher: &Searcher,
        segment: &SegmentReader,
    ) -> tantivy::Result<Arc<PassageFile>> {
        let id = segment.segment_id();
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, file)) = files.iter().find(|(s, _)| *s == id) {
            return Ok(Arc::clone(file));
        }
        let file = Arc::new(PassageFile::open(segment)?);
        // Segments merged away since: their files are deleted, and the
        // space they held comes back once unmapped.
        let current: Vec<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(|s| s.segment_id())
            .collect();
        files.retain(|(s, _)| current.contains(s));
        files.push((id, Arc::clone(&file)));
        Ok(file)
    }
}

/// Reads a segment's passages in order, one block decompressed at a time:
/// for walks over many passages of one segment, such as a phrase check.
pub struct SegmentCursor {
    file: PassageFile,
    block: Option<(usize, Block)>,
}

impl SegmentCursor {
    pub fn open(segment: &SegmentReader) -> tantivy::Result<SegmentCursor> {
        Ok(SegmentCursor {
            file: PassageFile::open(segment)?,
            block: None,
        })
    }

    /// The text of passage `doc`.
    pub fn text(&mut self, doc: DocId) -> tantivy::Result<&str> {
        let ord = self.file.block_of(doc)?;
        if self.block.as_ref().is_none_or(|(at, _)| *at != ord) {
            self.block = Some((ord, self.file.decode(ord)?));
        }
        let (_, block) = self.block.as_ref().expect("just set");
        block.text(doc)
    }
}

#[cfg(test)]
mod tests {
    use tantivy::indexer::NoMergePolicy;
    use tantivy::{Index, IndexWriter, Term};

    use super::*;

    /// Articles whose passages are enough text to train a dictionary.
    const TRAINS: usize = 5_000;

    #[test]
    fn the_test_articles_train_a_dictionary() {
        let bytes: usize = passages(TRAINS).iter().map(|p| p.text.len()).sum();
        assert!(bytes >= DICTIONARY_SAMPLE_BYTES, "{bytes}");
    }

    /// Passages of `articles` articles, each with a title and three
    /// passages under two headings: text varied enough for zstd.
    fn passages(articles: usize) -> Vec<StoredPassage> {
        let mut out = Vec::new();
        for a in 0..articles {
            let path = format!("dir/{a:04}.md");
            let title = format!("第{a}篇：如何注销 eSIM 卡");
            for p in 0..3u64 {
                let heading = if p < 2 { "步骤" } else { "费用" }.to_string();
                let text = format!(
                    "第{a}篇第{p}段：登录 My docomo 账户，选择销户（{}）。违约金 {} 日元。",
                    a * 7 + p as usize,
                    (a * 31 + p as usize * 17) % 9973
                );
                out.push(StoredPassage {
                    path: path.clone(),
                    line: 1 + p * 4,
                    title: title.clone(),
                    heading,
                    text,
                });
            }
        }
        out
    }

    fn index() -> (Index, Fields, IndexWriter) {
        let (schema, fields) = Fields::build_schema();
        let index = crate::index::schema::builder()
            .schema(schema)
            .create_in_ram()
            .unwrap();
        crate::analysis::register_tokenizers(&index, &crate::search::testing::SEGMENTERS);
        // Enough memory that each commit makes one segment.
        let writer: IndexWriter = index.writer_with_num_threads(1, 200_000_000).unwrap();
        writer.set_merge_policy(Box::new(NoMergePolicy));
        (index, fields, writer)
    }

    fn add(writer: &mut IndexWriter, fields: &Fields, passages: &[StoredPassage]) {
        for p in passages {
            let mut doc = TantivyDocument::default();
            doc.add_text(fields.path, &p.path);
            doc.add_u64(fields.line, p.line);
            doc.add_text(fields.title, &p.title);
            doc.add_text(fields.heading, &p.heading);
            doc.add_text(fields.text, &p.text);
            writer.add_document(doc).unwrap();
        }
    }

    /// Every passage of `index`, segment after segment, in document order.
    fn read_all(index: &Index) -> Vec<StoredPassage> {
        let searcher = index.reader().unwrap().searcher();
        let store = Passages::new(1 << 20);
        let mut out = Vec::new();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            for doc in segment.doc_ids_alive() {
                let address = DocAddress::new(ord as u32, doc);
                out.push(store.get(&searcher, address).unwrap());
            }
        }
        out
    }

    fn files(index: &Index) -> Vec<PassageFile> {
        let searcher = index.reader().unwrap().searcher();
        searcher
            .segment_readers()
            .iter()
            .map(|s| PassageFile::open(s).unwrap())
            .collect()
    }

    #[test]
    fn passages_read_back_as_written_with_the_dictionary_of_the_first_large_segment() {
        let (index, fields, mut writer) = index();
        let all = passages(TRAINS + 6);
        // A small segment, a large one, a small one.
        let large = 3 * TRAINS;
        let parts = [&all[..9], &all[9..9 + large], &all[9 + large..]];
        for part in parts {
            add(&mut writer, &fields, part);
            writer.commit().unwrap();
        }
        let mut read = read_all(&index);
        let mut written = all.clone();
        // The order of segments in a searcher is not the order of commits.
        read.sort_by(|a, b| (&a.path, a.line, &a.text).cmp(&(&b.path, b.line, &b.text)));
        written.sort_by(|a, b| (&a.path, a.line, &a.text).cmp(&(&b.path, b.line, &b.text)));
        assert_eq!(read, written);
        // The first had too little text to train a dictionary; the last
        // took the one trained by the second.
        let files = files(&index);
        let large = files.iter().find(|f| f.num_docs as usize == large).unwrap();
        assert!(!large.dictionary_bytes().is_empty());
        assert!(large.entries.len() > 10, "{} blocks", large.entries.len());
        let mut small: Vec<bool> = files
            .iter()
            .filter(|f| f.num_docs == 9)
            .map(|f| f.dictionary_bytes() == large.dictionary_bytes())
            .collect();
        small.sort();
        assert_eq!(small, [false, true]);
    }

    #[test]
    fn an_index_opened_again_gives_new_segments_its_dictionary() {
        let dir = tempfile::tempdir().unwrap();
        let (schema, fields) = Fields::build_schema();
        let index = crate::index::schema::builder()
            .schema(schema)
            .create_in_dir(dir.path())
            .unwrap();
        crate::analysis::register_tokenizers(&index, &crate::search::testing::SEGMENTERS);
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 200_000_000).unwrap();
        add(&mut writer, &fields, &passages(TRAINS));
        writer.commit().unwrap();
        drop(writer);
        let trained = files(&index)[0].dictionary_bytes().to_vec();
        assert!(!trained.is_empty());
        // Another process: a new plugin, with no dictionary of its own.
        let index = crate::index::schema::open(dir.path()).unwrap();
        crate::analysis::register_tokenizers(&index, &crate::search::testing::SEGMENTERS);
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 200_000_000).unwrap();
        writer.set_merge_policy(Box::new(NoMergePolicy));
        add(&mut writer, &fields, &passages(2)[..1]);
        writer.commit().unwrap();
        let files = files(&index);
        assert_eq!(files.len(), 2);
        assert!(files.iter().all(|f| f.dictionary_bytes() == trained));
    }

    #[test]
    fn a_merge_keeps_the_live_passages_in_order_and_a_dictionary() {
        let (index, fields, mut writer) = index();
        let first = passages(TRAINS);
        let second: Vec<StoredPassage> = passages(TRAINS + 700).split_off(TRAINS * 3);
        add(&mut writer, &fields, &first);
        writer.commit().unwrap();
        add(&mut writer, &fields, &second);
        writer.commit().unwrap();
        for deleted in ["dir/0003.md", "dir/5100.md"] {
            writer.delete_term(Term::from_field_text(fields.path, deleted));
        }
        writer.commit().unwrap();
        let segments = index.searchable_segment_ids().unwrap();
        assert_eq!(segments.len(), 2);
        // The second segment took the dictionary the first trained.
        let sources = files(&index);
        assert!(!sources[0].dictionary_bytes().is_empty());
        assert_eq!(sources[0].dictionary_bytes(), sources[1].dictionary_bytes());
        writer.merge(&segments).wait().unwrap();
        let merged = files(&index);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].dictionary_bytes(), sources[0].dictionary_bytes());
        // Blocks without a deleted passage were copied; the two with one
        // were compressed again.
        let source_blocks: Vec<&[u8]> = sources
            .iter()
            .flat_map(|f| (0..f.entries.len()).map(move |ord| f.compressed(ord)))
            .collect();
        let copied = (0..merged[0].entries.len())
            .filter(|&ord| source_blocks.contains(&merged[0].compressed(ord)))
            .count();
        assert_eq!(copied, source_blocks.len() - 2);
        let read = read_all(&index);
        let searcher = index.reader().unwrap().searcher();
        // Which segment came first in the merge decides the order.
        let (a, b) = if read[0].path == "dir/0000.md" {
            (first, second)
        } else {
            (second, first)
        };
        let expected: Vec<StoredPassage> = a
            .into_iter()
            .chain(b)
            .filter(|p| !["dir/0003.md", "dir/5100.md"].contains(&p.path.as_str()))
            .collect();
        assert_eq!(searcher.num_docs() as usize, expected.len());
        assert_eq!(read, expected);
    }

    #[test]
    fn a_damaged_file_is_an_error_not_a_panic() {
        let (index, fields, mut writer) = index();
        add(&mut writer, &fields, &passages(TRAINS));
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let segment = &searcher.segment_readers()[0];
        let bytes = segment
            .open_read(component())
            .unwrap()
            .read_bytes()
            .unwrap();
        let good = bytes.as_slice().to_vec();
        let parse = |data: Vec<u8>| PassageFile::parse(OwnedBytes::new(data));
        assert!(parse(good.clone()).is_ok());
        // Cut anywhere: the footer or the entries no longer add up.
        for len in [0, 5, FOOTER_BYTES - 1, good.len() / 2, good.len() - 1] {
            assert!(parse(good[..len].to_vec()).is_err(), "cut to {len}");
        }
        // Garbage in the blocks: each block fails to decompress or to parse.
        let file = parse(good.clone()).unwrap();
        let mut garbled = good.clone();
        let mut x: u32 = 2_463_534_242;
        for b in &mut garbled[..file.blocks_end as usize] {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            *b = x as u8;
        }
        let garbled = parse(garbled).unwrap();
        for ord in 0..garbled.entries.len() {
            assert!(garbled.decode(ord).is_err(), "block {ord}");
        }
        // Every byte of the entries and footer flipped in turn: an error or
        // passages, never a panic.
        let entries_at = good.len() - FOOTER_BYTES - file.entries.len() * ENTRY_BYTES;
        for at in entries_at..good.len() {
            let mut flipped = good.clone();
            flipped[at] ^= 0x5a;
            if let Ok(file) = parse(flipped) {
                for ord in 0..file.entries.len() {
                    let _ = file.decode(ord);
                }
            }
        }
    }

    #[test]
    fn record_lengths_are_the_bytes_written() {
        for p in &passages(2)[..4] {
            for flags in [0, HAS_PATH, HAS_TITLE | HAS_HEADING, 7] {
                let mut out = Vec::new();
                let p = p.borrowed();
                put_record(&mut out, &p, flags);
                assert_eq!(record_len(&p, flags), out.len());
            }
        }
        for value in [0, 1, 127, 128, 16_383, 16_384, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            assert_eq!(varint_len(value), out.len(), "{value}");
        }
    }

    #[test]
    fn a_block_reads_records_that_leave_out_what_did_not_change() {
        let mut out = Vec::new();
        let p = &passages(1)[..2];
        for (i, record) in p.iter().enumerate() {
            let flags = if i == 0 {
                HAS_PATH | HAS_TITLE | HAS_HEADING
            } else {
                0
            };
            put_record(&mut out, &record.borrowed(), flags);
        }
        let block = Block::parse(0, 2, out.clone()).unwrap();
        let read: Vec<StoredPassage> = (0..2)
            .map(|d| block.get(d).unwrap().into_stored())
            .collect();
        assert_eq!(read, p);
        assert!(Block::parse(0, 3, out.clone()).is_err());
        assert!(Block::parse(0, 1, out.clone()).is_err());
        // Text that is not UTF-8 is an error when read, not when decoded.
        let at = out.len() - 1;
        out[at] = 0xff;
        let block = Block::parse(0, 2, out).unwrap();
        assert!(block.get(0).is_ok());
        assert!(block.get(1).is_err());
        assert!(block.text(1).is_err());
    }
}
