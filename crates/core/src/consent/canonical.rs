//! Canonical JSON: object keys sorted by their UTF-16 code units, no whitespace, strings and
//! integers as serde_json writes them (RFC 8785 for the values WardCam stores, which are strings,
//! integers, booleans and null, never floats). Sorting here, rather than relying on serde_json's
//! map type, keeps digests identical whether or not another crate turns on `preserve_order`.

use ring::digest::{digest, SHA256};
use serde_json::Value;

/// `value` as canonical JSON bytes.
pub(crate) fn canonical_json(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write(value, &mut out);
    out
}

/// Lower-case hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(digest(&SHA256, bytes).as_ref())
}

fn write(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push(b'{');
            for (i, (key, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(&Value::String(key.clone()), out);
                out.push(b':');
                write(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(v, out);
            }
            out.push(b']');
        }
        // Scalars: serde_json's compact form is already canonical for strings and integers.
        scalar => out.extend_from_slice(scalar.to_string().as_bytes()),
    }
}
