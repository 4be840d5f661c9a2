//! Segmented AES-256-GCM for item blobs, in the manner of age's STREAM: memory stays at one segment
//! however large the item, and truncation, reordering and splicing are all detected.
//!
//! - The plaintext is cut into 64 KiB segments; every segment but the last is full, and the last is
//!   empty only when the whole plaintext is (one empty final segment, 16 bytes of tag).
//! - Segment `i` is sealed with the item's blob subkey, nonce = `i` as an 11-byte big-endian counter
//!   followed by one flag byte, `0x01` for the last segment and `0x00` otherwise, and associated
//!   data = the blob's header bytes (which contain the item id and the data key's fingerprint).
//! - **The counter restarts at zero for every item, so a data key must never seal two items.** The
//!   vault guarantees this by generating a fresh [`DataKey`] for every seal.
//!
//! Opening checks the header, then every segment in order; the last segment must carry the last
//! flag, so a blob cut at a segment boundary fails with [`VaultError::Truncated`]. On any failure the
//! partial plaintext is wiped before the error is returned: callers never see unauthenticated bytes.

use std::fs::File;
use std::io::{self, Read, Write};

use ring::aead::{Aad, LessSafeKey, Nonce, NONCE_LEN};
use zeroize::Zeroizing;

use super::error::VaultError;
use super::format::{Header, ItemId, HEADER_LEN};
use super::keys::{DataKey, Purpose};

/// Plaintext bytes per segment.
pub const SEGMENT_LEN: usize = 64 * 1024;
/// AES-GCM tag bytes per segment.
pub const TAG_LEN: usize = 16;
/// Segments sealed before each write when sealing (1 MiB of plaintext).
const WRITE_BATCH: usize = 16;
/// Bytes of one full sealed segment on disk.
pub const SEALED_SEGMENT_LEN: usize = SEGMENT_LEN + TAG_LEN;

#[cfg(any(test, feature = "test-support"))]
/// The size of a blob sealing `plaintext_len` bytes.
pub fn sealed_len(plaintext_len: usize) -> usize {
    let segments = plaintext_len.div_ceil(SEGMENT_LEN).max(1);
    HEADER_LEN + plaintext_len + segments * TAG_LEN
}

fn nonce(counter: u64, last: bool) -> Nonce {
    let mut n = [0u8; NONCE_LEN];
    n[3..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    Nonce::assume_unique_for_key(n)
}

#[cfg(any(test, feature = "test-support"))]
/// Seals `plaintext` as item `header.item` under `key`, writing header and segments to `out`.
/// Writes ciphertext only; `out` is not flushed or synced.
///
/// `header.key` must be `key.id()`: the vault builds the header from the key it just generated.
pub fn seal_to<W: Write>(
    key: &DataKey,
    header: &Header,
    plaintext: &[u8],
    out: &mut W,
) -> Result<(), VaultError> {
    seal_batches(key, header, plaintext, |bytes| {
        out.write_all(bytes)
            .map_err(VaultError::io("write an item"))
    })
}

/// Seals `plaintext` into `file` (new and empty, opened for writing) exactly as [`seal_to`] would,
/// then makes the contents durable with `sync_all`. This is the vault's blob writer.
///
/// On Linux and Android, writeback of each batch is started as soon as it is written (see
/// `start_writeback`), so the disk works while the next batch is encrypted and the final
/// `sync_all` has little left to flush. Elsewhere it is `seal_to` followed by `sync_all`.
/// Durability rests on the `sync_all` alone; the early writeback only moves work earlier.
pub fn seal_to_file(
    key: &DataKey,
    header: &Header,
    plaintext: &[u8],
    file: &mut File,
) -> Result<(), VaultError> {
    let mut written: u64 = 0;
    let mut started: u64 = 0;
    seal_batches(key, header, plaintext, |bytes| {
        file.write_all(bytes)
            .map_err(VaultError::io("write an item"))?;
        written += bytes.len() as u64;
        // Whole writeback units only: a partly written last page would be flushed now and dirtied
        // again by the next batch.
        let end = written - written % WRITEBACK_ALIGN;
        if end > started {
            start_writeback(file, started, end - started);
            started = end;
        }
        Ok(())
    })?;
    file.sync_all().map_err(VaultError::io("write an item"))
}

/// Writeback is started in whole multiples of this (a multiple of every page size Linux and
/// Android use: 4, 16 and 64 KiB).
const WRITEBACK_ALIGN: u64 = 64 * 1024;

/// Asks the kernel to start writing `len` bytes at `offset` of `file` to disk now, without waiting.
///
/// Linux's `posix_fadvise(POSIX_FADV_DONTNEED)` starts asynchronous writeback of the range's dirty
/// pages (as `sync_file_range(SYNC_FILE_RANGE_WRITE)` does, which has no safe Rust wrapper) and
/// drops the range's pages that are already clean, so a large blob neither waits for the final
/// fsync to start reaching the disk nor crowds the page cache. Only ciphertext is in these pages.
/// A hint: it changes no data, and an error here is ignored (the `sync_all` that follows reports
/// any real write failure).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn start_writeback(file: &File, offset: u64, len: u64) {
    if let Some(len) = std::num::NonZeroU64::new(len) {
        let _ = rustix::fs::fadvise(file, offset, Some(len), rustix::fs::Advice::DontNeed);
    }
}

/// Other platforms: no early writeback; the final `sync_all` flushes everything.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn start_writeback(_file: &File, _offset: u64, _len: u64) {}

/// The sealing loop shared by every writer: hands `emit` the blob's bytes in order, at most
/// [`WRITE_BATCH`] sealed segments at a time (the first batch starts with the header), from one
/// reused buffer that is wiped when sealing ends.
fn seal_batches(
    key: &DataKey,
    header: &Header,
    plaintext: &[u8],
    mut emit: impl FnMut(&[u8]) -> Result<(), VaultError>,
) -> Result<(), VaultError> {
    if header.key != key.id() {
        return Err(VaultError::ApiMisuse("the header names another data key"));
    }
    let aead = key.subkey(Purpose::Blob)?;
    let head = header.to_bytes();
    // Sealed segments are batched into one write of up to WRITE_BATCH segments (1 MiB): fewer
    // system calls, and memory still bounded whatever the item's size. Each segment is copied once
    // into the buffer and encrypted there in place.
    let mut buf = Zeroizing::new(Vec::with_capacity(
        HEADER_LEN + WRITE_BATCH * SEALED_SEGMENT_LEN,
    ));
    buf.extend_from_slice(&head);
    let segments = plaintext.len().div_ceil(SEGMENT_LEN).max(1);
    let mut chunks = plaintext.chunks(SEGMENT_LEN);
    for i in 0..segments {
        let chunk = chunks.next().unwrap_or(&[]);
        let start = buf.len();
        buf.extend_from_slice(chunk);
        let tag = aead
            .seal_in_place_separate_tag(
                nonce(i as u64, i + 1 == segments),
                Aad::from(&head),
                &mut buf[start..],
            )
            .map_err(|_| VaultError::ApiMisuse("AES-256-GCM seal failed"))?;
        buf.extend_from_slice(tag.as_ref());
        if (i + 1) % WRITE_BATCH == 0 || i + 1 == segments {
            emit(&buf)?;
            buf.clear();
        }
    }
    Ok(())
}

#[cfg(any(test, feature = "test-support"))]
/// Seals `plaintext` into a new in-memory blob (see [`seal_to`]).
pub fn seal_blob(key: &DataKey, header: &Header, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
    let mut out = Vec::with_capacity(sealed_len(plaintext.len()));
    seal_to(key, header, plaintext, &mut out)?;
    Ok(out)
}

/// Reads until `buf` is full or the reader ends; returns how many bytes were read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<usize, VaultError> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(VaultError::io("read an item")(e)),
        }
    }
    Ok(n)
}

fn open_segment(
    aead: &LessSafeKey,
    head: &[u8],
    counter: u64,
    last: bool,
    seg: &mut [u8],
) -> Result<usize, ()> {
    aead.open_in_place(nonce(counter, last), Aad::from(head), seg)
        .map(|p| p.len())
        .map_err(|_| ())
}

/// Opens a blob read from `reader`, sealed under `key`. If `expected` is given, the header must name
/// that item. `size_hint` (the blob's length, if known) only pre-sizes the output.
///
/// Errors: [`VaultError::NotAVault`], [`VaultError::UnknownVersion`], [`VaultError::Truncated`]
/// (header cut short, a partial tag, or a stream ending without its last segment) and
/// [`VaultError::Tampered`] (any authentication failure, a header that names another item or key,
/// trailing bytes). No plaintext is returned on error.
pub fn open_from<R: Read>(
    key: &DataKey,
    expected: Option<ItemId>,
    mut reader: R,
    size_hint: usize,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let mut head = [0u8; HEADER_LEN];
    let n = read_full(&mut reader, &mut head)?;
    let header = Header::parse(&head[..n])?;
    if header.key != key.id() || expected.is_some_and(|id| id != header.item) {
        return Err(VaultError::Tampered);
    }
    let aead = key.subkey(Purpose::Blob)?;
    // Room for the whole item plus one segment of slack, so the buffer never reallocates (a
    // reallocation would free a copy of plaintext without wiping it); `reserve_wiped` covers a wrong
    // hint.
    let mut out = Zeroizing::new(Vec::with_capacity(
        size_hint.saturating_sub(HEADER_LEN) + SEALED_SEGMENT_LEN,
    ));
    // A byte read past a full segment to learn whether it was the last; it starts the next one.
    let mut carry: Option<u8> = None;
    let mut counter: u64 = 0;
    loop {
        let start = out.len();
        reserve_wiped(&mut out, start + SEALED_SEGMENT_LEN);
        out.resize(start + SEALED_SEGMENT_LEN, 0);
        let mut filled = 0;
        if let Some(b) = carry.take() {
            out[start] = b;
            filled = 1;
        }
        filled += read_full(&mut reader, &mut out[start + filled..])?;
        let mut last = filled < SEALED_SEGMENT_LEN;
        if !last {
            let mut peek = [0u8; 1];
            if read_full(&mut reader, &mut peek)? == 0 {
                last = true;
            } else {
                carry = Some(peek[0]);
            }
        }
        out.truncate(start + filled);
        if filled < TAG_LEN {
            // Nothing, or less than a tag, where a segment should be.
            return Err(VaultError::Truncated);
        }
        let seg = &mut out[start..];
        let backup = (last && filled == SEALED_SEGMENT_LEN).then(|| Zeroizing::new(seg.to_vec()));
        match open_segment(&aead, &head, counter, last, seg) {
            Ok(len) => {
                if last && len == 0 && counter > 0 {
                    // An empty last segment is only valid for an empty item (canonical encoding).
                    return Err(VaultError::Tampered);
                }
                out.truncate(start + len);
            }
            Err(()) => {
                // A full segment that opens as a *middle* segment means the real last segment is
                // missing: the blob was cut at a segment boundary.
                if let Some(mut copy) = backup {
                    if open_segment(&aead, &head, counter, false, &mut copy).is_ok() {
                        return Err(VaultError::Truncated);
                    }
                }
                return Err(VaultError::Tampered);
            }
        }
        if last {
            return Ok(out);
        }
        counter += 1;
    }
}

/// Makes sure `buf` can hold `needed` bytes without a reallocation that would leave an unwiped copy:
/// grows into a fresh buffer and lets the old one wipe itself on drop.
fn reserve_wiped(buf: &mut Zeroizing<Vec<u8>>, needed: usize) {
    if buf.capacity() >= needed {
        return;
    }
    let mut bigger = Zeroizing::new(Vec::with_capacity(needed.max(buf.capacity() * 2)));
    bigger.extend_from_slice(buf);
    *buf = bigger;
}

#[cfg(any(test, feature = "test-support"))]
/// Opens an in-memory blob (see [`open_from`]).
pub fn open_blob(
    key: &DataKey,
    expected: Option<ItemId>,
    blob: &[u8],
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    open_from(key, expected, blob, blob.len())
}
