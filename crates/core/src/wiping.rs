//! A growable buffer for the patient's bytes (encoded photos, thumbnails, re-encodes) that wipes
//! every allocation it leaves behind.
//!
//! `Zeroizing<Vec<u8>>` wipes only the allocation the `Vec` holds when it drops. A `Vec` that grows
//! reallocates, and the allocator frees the old block without clearing it, so each growth would
//! leave a copy of everything written so far in freed memory. [`WipingBuf`] never lets its `Vec`
//! reallocate by itself: it grows into a new wiping buffer and wipes the old one. Size it up front
//! where a bound is known, so it does not grow at all.

use std::io::Write;

use zeroize::Zeroizing;

/// Bytes written so far, wiped on drop, and every buffer it outgrew wiped as it was left.
pub(crate) struct WipingBuf(Zeroizing<Vec<u8>>);

impl WipingBuf {
    pub(crate) fn with_capacity(capacity: usize) -> WipingBuf {
        WipingBuf(Zeroizing::new(Vec::with_capacity(capacity)))
    }

    /// Makes room for `more` bytes; when that needs a bigger buffer, the bytes move to a new one
    /// (at least twice the size, as `Vec` grows) and the old one is wiped as it drops.
    pub(crate) fn reserve(&mut self, more: usize) {
        let needed = self.0.len().saturating_add(more);
        if needed > self.0.capacity() {
            let mut bigger = Zeroizing::new(Vec::with_capacity(
                needed.max(self.0.capacity().saturating_mul(2)),
            ));
            bigger.extend_from_slice(&self.0);
            self.0 = bigger;
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, byte: u8) {
        if self.0.len() == self.0.capacity() {
            self.reserve(1);
        }
        self.0.push(byte);
    }

    pub(crate) fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.reserve(bytes.len());
        self.0.extend_from_slice(bytes);
    }

    /// The bytes, still in a buffer wiped on drop.
    pub(crate) fn into_inner(self) -> Zeroizing<Vec<u8>> {
        self.0
    }
}

/// For encoders that write to an `io::Write` (`jpeg-encoder`).
impl Write for WipingBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn sized_up_front_it_keeps_its_one_buffer() {
        let mut buf = WipingBuf::with_capacity(64);
        let at = buf.0.as_ptr();
        for i in 0..32u8 {
            buf.push(i);
        }
        buf.write_all(&[7; 32]).unwrap();
        let bytes = buf.into_inner();
        assert_eq!((bytes.len(), bytes.capacity()), (64, 64));
        assert_eq!(bytes.as_ptr(), at, "moved to another allocation");
    }

    #[test]
    fn growing_keeps_every_byte_in_order() {
        let mut buf = WipingBuf::with_capacity(0);
        let mut want = Vec::new();
        for i in 0..1000u32 {
            let b = (i % 251) as u8;
            if i % 3 == 0 {
                buf.push(b);
                want.push(b);
            } else {
                buf.extend_from_slice(&[b, b ^ 0x55]);
                want.extend_from_slice(&[b, b ^ 0x55]);
            }
        }
        assert_eq!(*buf.into_inner(), want);
    }
}
