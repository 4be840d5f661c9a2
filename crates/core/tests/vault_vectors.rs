//! Test vectors for the sealed blob format, one test per file in `tests/vectors/vault_*`.
//!
//! Each file starts with text lines — `expect: <outcome>` first, then `key:` (the data key, hex),
//! optionally `item:` (the item id the opener expects, hex), `plaintext-sha256:` for successes and
//! `note:` — then one empty line, then the blob's raw bytes. `<outcome>` is `success` or the
//! suffix of a `VaultError` code (`tampered`, `truncated`, `unknown_version`, `not_a_vault`).
//! Successful vectors must also re-seal to exactly the same bytes, which pins the format down.
//!
//! `WARDCAM_WRITE_VECTORS=1 cargo test -p wardcam-core --test vault_vectors -- --ignored` rewrites the
//! files from `generate_vectors` below (only ever needed for a new case or a new format version).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use ring::digest;
use wardcam_core::vault::blob::{
    open_blob, seal_blob, Header, HEADER_LEN, SEALED_SEGMENT_LEN, SEGMENT_LEN,
};
use wardcam_core::vault::hazmat::DataKey;
use wardcam_core::vault::ItemId;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

struct Vector {
    expect: String,
    key: [u8; 32],
    item: Option<ItemId>,
    sha256: Option<String>,
    blob: Vec<u8>,
}

fn parse(bytes: &[u8]) -> Vector {
    let split = bytes
        .windows(2)
        .position(|w| w == b"\n\n")
        .expect("header ends with an empty line");
    let text = std::str::from_utf8(&bytes[..split]).unwrap();
    let mut lines = text.lines();
    let first = lines.next().unwrap();
    let expect = first
        .strip_prefix("expect: ")
        .expect("first line is `expect: ...`")
        .to_owned();
    let mut v = Vector {
        expect,
        key: [0; 32],
        item: None,
        sha256: None,
        blob: bytes[split + 2..].to_vec(),
    };
    for line in lines {
        let (k, val) = line.split_once(": ").unwrap();
        match k {
            "key" => v.key = unhex(val).try_into().unwrap(),
            "item" => v.item = Some(val.parse().unwrap()),
            "plaintext-sha256" => v.sha256 = Some(val.to_owned()),
            "note" => {}
            other => panic!("unknown header line {other}"),
        }
    }
    v
}

fn run(name: &str) {
    let v = parse(&fs::read(dir().join(name)).unwrap());
    let key = DataKey::from_bytes(&v.key);
    match open_blob(&key, v.item, &v.blob) {
        Ok(plain) => {
            assert_eq!(v.expect, "success", "{name} opened");
            let got = hex(digest::digest(&digest::SHA256, &plain).as_ref());
            assert_eq!(Some(got), v.sha256, "{name}: plaintext hash");
            let header = Header::parse(&v.blob).unwrap();
            assert!(
                seal_blob(&key, &header, &plain).unwrap() == v.blob,
                "{name}: re-sealing gives different bytes"
            );
        }
        Err(e) => assert_eq!(e.code(), format!("vault.{}", v.expect), "{name}"),
    }
}

macro_rules! vectors {
    ($($name:ident),* $(,)?) => {
        const NAMES: &[&str] = &[$(stringify!($name)),*];
        $( #[test] fn $name() { run(stringify!($name)); } )*
    };
}

vectors! {
    vault_empty,
    vault_one_byte,
    vault_segment_minus_one,
    vault_segment_exact,
    vault_segment_plus_one,
    vault_bad_magic,
    vault_version_2,
    vault_header_item_changed,
    vault_wrong_item,
    vault_wrong_key,
    vault_bad_tag,
    vault_bad_second_segment,
    vault_segments_swapped,
    vault_truncated_at_boundary,
    vault_truncated_header,
    vault_missing_final_segment,
    vault_trailing_byte,
}

#[test]
fn every_vector_file_has_a_test() {
    let mut files: Vec<String> = fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("vault_"))
        .collect();
    files.sort();
    let mut names: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
    names.sort();
    assert_eq!(files, names);
}

// ---- generation ------------------------------------------------------------------------------------

const KEY: [u8; 32] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
    27, 28, 29, 30, 31, 32,
];
const ITEM: [u8; 16] = [0xa0; 16];

/// Plaintext byte `i` is `i mod 251`.
fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn sealed(len: usize, key: &[u8; 32]) -> Vec<u8> {
    let k = DataKey::from_bytes(key);
    let h = Header {
        item: ItemId(ITEM),
        key: k.id(),
    };
    seal_blob(&k, &h, &plaintext(len)).unwrap()
}

fn write(
    name: &str,
    expect: &str,
    note: &str,
    item: Option<[u8; 16]>,
    len: Option<usize>,
    blob: &[u8],
) {
    let mut out = format!("expect: {expect}\nkey: {}\n", hex(&KEY));
    if let Some(item) = item {
        out += &format!("item: {}\n", hex(&item));
    }
    if let Some(len) = len {
        let sha = digest::digest(&digest::SHA256, &plaintext(len));
        out += &format!("plaintext-sha256: {}\n", hex(sha.as_ref()));
    }
    out += &format!("note: {note}\n\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(blob);
    fs::write(dir().join(name), bytes).unwrap();
}

#[test]
#[ignore = "rewrites the vector files; run with WARDCAM_WRITE_VECTORS=1"]
fn generate_vectors() {
    if std::env::var_os("WARDCAM_WRITE_VECTORS").is_none() {
        return;
    }
    fs::create_dir_all(dir()).unwrap();
    let seg = SEGMENT_LEN;
    for (name, len) in [
        ("vault_empty", 0),
        ("vault_one_byte", 1),
        ("vault_segment_minus_one", seg - 1),
        ("vault_segment_exact", seg),
        ("vault_segment_plus_one", seg + 1),
    ] {
        let note = format!("{len} bytes of plaintext, byte i = i mod 251");
        write(
            name,
            "success",
            &note,
            Some(ITEM),
            Some(len),
            &sealed(len, &KEY),
        );
    }
    let one = sealed(1, &KEY);
    let two = sealed(seg + 1, &KEY);
    let mut b = one.clone();
    b[0] = b'X';
    write(
        "vault_bad_magic",
        "not_a_vault",
        "first magic byte changed",
        None,
        None,
        &b,
    );
    let mut b = one.clone();
    b[9] = 2;
    write(
        "vault_version_2",
        "unknown_version",
        "version field 2",
        None,
        None,
        &b,
    );
    let mut b = one.clone();
    b[10] ^= 1;
    write(
        "vault_header_item_changed",
        "tampered",
        "item id in the header changed; the header is every segment's associated data",
        None,
        None,
        &b,
    );
    let wrong_item = {
        let k = DataKey::from_bytes(&KEY);
        let h = Header {
            item: ItemId([0xb0; 16]),
            key: k.id(),
        };
        seal_blob(&k, &h, &plaintext(1)).unwrap()
    };
    write(
        "vault_wrong_item",
        "tampered",
        "valid blob of item b0..., but the opener expects item a0...",
        Some(ITEM),
        None,
        &wrong_item,
    );
    let mut other_key = KEY;
    other_key[0] ^= 0xff;
    write(
        "vault_wrong_key",
        "tampered",
        "sealed under a different data key",
        None,
        None,
        &sealed(1, &other_key),
    );
    let mut b = one.clone();
    *b.last_mut().unwrap() ^= 1;
    write(
        "vault_bad_tag",
        "tampered",
        "last tag byte flipped",
        None,
        None,
        &b,
    );
    let mut b = two.clone();
    b[HEADER_LEN + SEALED_SEGMENT_LEN] ^= 1;
    write(
        "vault_bad_second_segment",
        "tampered",
        "first byte of the second (last) segment flipped",
        None,
        None,
        &b,
    );
    let mut b = two[..HEADER_LEN].to_vec();
    b.extend_from_slice(&two[HEADER_LEN + SEALED_SEGMENT_LEN..]);
    b.extend_from_slice(&two[HEADER_LEN..HEADER_LEN + SEALED_SEGMENT_LEN]);
    write(
        "vault_segments_swapped",
        "tampered",
        "the two segments in reverse order",
        None,
        None,
        &b,
    );
    write(
        "vault_truncated_at_boundary",
        "truncated",
        "cut after the first full segment: the last segment is missing",
        None,
        None,
        &two[..HEADER_LEN + SEALED_SEGMENT_LEN],
    );
    write(
        "vault_truncated_header",
        "truncated",
        "cut inside the header",
        None,
        None,
        &one[..20],
    );
    write(
        "vault_missing_final_segment",
        "truncated",
        "an empty item without its (tag-only) final segment",
        None,
        None,
        &sealed(0, &KEY)[..HEADER_LEN],
    );
    let mut b = one.clone();
    b.push(0);
    write(
        "vault_trailing_byte",
        "tampered",
        "one byte after the last segment",
        None,
        None,
        &b,
    );

    // Seeds for the `vault_open` fuzz target (fuzz/corpus/vault_open), under its fixed key.
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/vault_open");
    fs::create_dir_all(&corpus).unwrap();
    let fuzz_key = wardcam_core::vault::fuzzing::FUZZ_KEY;
    let mut seeds: Vec<(&str, Vec<u8>)> = [0, 1, 100, SEGMENT_LEN + 1]
        .iter()
        .map(|&len| ("valid", sealed(len, &fuzz_key)))
        .collect();
    seeds.push(("truncated", sealed(100, &fuzz_key)[..60].to_vec()));
    let mut tampered = sealed(100, &fuzz_key);
    tampered[50] ^= 1;
    seeds.push(("tampered", tampered));
    seeds.push(("foreign", b"\xff\xd8\xff\xe0 JFIF not a vault".to_vec()));
    for (i, (what, bytes)) in seeds.iter().enumerate() {
        fs::write(corpus.join(format!("{i:02}_{what}")), bytes).unwrap();
    }
}
