#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use zeroize::Zeroizing;

use super::blob::*;
use super::danger::MemoryKeyStore;
use super::hazmat::{DataKey, MasterKey};
use super::index::{Index, SCHEMA_VERSION};
use super::*;

const SEG: usize = SEGMENT_LEN;

/// Deterministic bytes for a seed (xorshift), so a test can regenerate what it sealed.
fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn key(b: u8) -> DataKey {
    DataKey::from_bytes(&[b; 32])
}

fn header_for(k: &DataKey, item: u8) -> Header {
    Header {
        item: ItemId([item; 16]),
        key: k.id(),
    }
}

fn new_vault() -> (tempfile::TempDir, MemoryKeyStore, Vault) {
    let tmp = tempfile::tempdir().unwrap();
    let keys = MemoryKeyStore::new();
    let vault = Vault::create(&tmp.path().join("vault"), &keys).unwrap();
    (tmp, keys, vault)
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// The files under `dir` whose raw bytes contain `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    assert!(!needle.is_empty());
    files_under(dir)
        .into_iter()
        .filter(|p| {
            let bytes = fs::read(p).unwrap();
            bytes.windows(needle.len()).any(|w| w == needle)
        })
        .collect()
}

// ---- round trips -------------------------------------------------------------------------------

#[test]
fn round_trip_at_segment_edges_in_memory_and_on_disk() {
    let (_tmp, _keys, vault) = new_vault();
    for len in [0, 1, SEG - 1, SEG, SEG + 1, 2 * SEG, 3 * SEG + 7] {
        let data = pattern(len as u64, len);
        let k = key(1);
        let h = header_for(&k, 2);
        let blob = seal_blob(&k, &h, &data).unwrap();
        assert_eq!(blob.len(), sealed_len(len), "len {len}");
        assert_eq!(&open_blob(&k, Some(h.item), &blob).unwrap()[..], &data[..]);

        let id = vault
            .seal(ItemKind::Photo, &data, None, Timestamp(1))
            .unwrap();
        assert_eq!(&vault.unseal(id).unwrap()[..], &data[..], "len {len}");
        assert_eq!(vault.meta(id).unwrap().size, len as u64);
    }
}

#[test]
fn round_trip_5_mb() {
    let (_tmp, _keys, vault) = new_vault();
    let data = pattern(5, 5 * 1024 * 1024);
    let id = vault
        .seal(ItemKind::Photo, &data, None, Timestamp(1))
        .unwrap();
    assert!(vault.unseal(id).unwrap()[..] == data[..]);
}

#[test]
fn round_trip_50_mb() {
    let (_tmp, _keys, vault) = new_vault();
    let data = pattern(50, 50 * 1024 * 1024);
    let id = vault
        .seal(ItemKind::Photo, &data, None, Timestamp(1))
        .unwrap();
    let back = vault.unseal(id).unwrap();
    assert!(back.len() == data.len() && back[..] == data[..]);
}

/// The vault's file writer (batched writes, early writeback, fsync) must produce exactly the bytes
/// of the in-memory `seal_blob`, at every batch and segment edge, and so must `Vault::seal`.
#[test]
fn file_writer_is_byte_identical_to_seal_blob() {
    let tmp = tempfile::tempdir().unwrap();
    let batch = 16 * SEG; // the writer's batch
    let sizes = [
        0,
        1,
        SEG - 1,
        SEG,
        SEG + 1,
        batch - 1,
        batch,
        batch + 1,
        2 * batch + 3 * SEG + 7,
        5 * 1024 * 1024 + 123,
    ];
    for (n, len) in sizes.into_iter().enumerate() {
        let data = pattern(len as u64 + 11, len);
        let k = key(7);
        let h = header_for(&k, n as u8);
        let path = tmp.path().join(format!("{n}.wcv"));
        let mut file = fs::File::create(&path).unwrap();
        seal_to_file(&k, &h, &data, &mut file).unwrap();
        drop(file);
        let on_disk = fs::read(&path).unwrap();
        assert!(on_disk == seal_blob(&k, &h, &data).unwrap(), "len {len}");
        assert_eq!(on_disk.len(), sealed_len(len), "len {len}");
    }
    let mut file = fs::File::create(tmp.path().join("wrong.wcv")).unwrap();
    assert!(matches!(
        seal_to_file(&key(1), &header_for(&key(2), 1), b"x", &mut file),
        Err(VaultError::ApiMisuse(_))
    ));

    let (_vtmp, _keys, vault) = new_vault();
    for len in [0, SEG + 1, batch + 1, 3 * batch] {
        let data = pattern(len as u64 + 3, len);
        let id = vault
            .seal(ItemKind::Photo, &data, None, Timestamp(1))
            .unwrap();
        let on_disk = fs::read(vault.dir().join("blobs").join(format!("{id}.wcv"))).unwrap();
        let (_, k) = vault.live_row(id).unwrap();
        let h = Header::parse(&on_disk).unwrap();
        assert!(h.item == id && h.key == k.id());
        assert!(on_disk == seal_blob(&k, &h, &data).unwrap(), "len {len}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_random_small_sizes(len in 0usize..(3 * SEG), seed: u64, kb: u8, item: u8) {
        let data = pattern(seed, len);
        let k = key(kb);
        let h = header_for(&k, item);
        let blob = seal_blob(&k, &h, &data).unwrap();
        prop_assert_eq!(blob.len(), sealed_len(len));
        prop_assert_eq!(&open_blob(&k, Some(h.item), &blob).unwrap()[..], &data[..]);
        // Blob contents never contain the plaintext (for inputs long enough to tell).
        if len >= 32 {
            prop_assert!(!blob.windows(32).any(|w| w == &data[..32]));
        }
    }

    #[test]
    fn fuzz_body_survives_random_and_mutated_inputs(
        raw in prop::collection::vec(any::<u8>(), 0..300),
        len in 0usize..(2 * SEG + 10),
        flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 0..3),
        cut in any::<prop::sample::Index>(),
        truncate: bool,
    ) {
        fuzzing::vault_open(&raw);
        // A valid blob under the fuzz key, then mutated: what the corpus gives cargo-fuzz.
        let k = DataKey::from_bytes(&fuzzing::FUZZ_KEY);
        let mut blob = seal_blob(&k, &header_for(&k, 3), &pattern(len as u64, len)).unwrap();
        fuzzing::vault_open(&blob);
        for (at, x) in flips {
            let i = at.index(blob.len());
            blob[i] ^= x;
        }
        if truncate {
            blob.truncate(cut.index(blob.len() + 1));
        }
        fuzzing::vault_open(&blob);
    }
}

// ---- tampering ---------------------------------------------------------------------------------

#[test]
fn every_byte_flip_of_a_two_segment_blob_is_detected() {
    // Header, both segments and both tags: every single byte.
    let k = key(7);
    let h = header_for(&k, 8);
    let blob = seal_blob(&k, &h, &pattern(9, SEG + 100)).unwrap();
    let mut bad = blob.clone();
    for i in 0..blob.len() {
        bad[i] ^= 0x80;
        let r = open_blob(&k, Some(h.item), &bad);
        assert!(r.is_err(), "flip at byte {i} went unnoticed");
        if i >= HEADER_LEN {
            assert_eq!(r.unwrap_err(), VaultError::Tampered, "byte {i}");
        }
        bad[i] = blob[i];
    }
    assert!(open_blob(&k, Some(h.item), &bad).is_ok());
}

#[test]
fn every_header_byte_flip_gives_the_right_error() {
    let k = key(7);
    let h = header_for(&k, 8);
    let blob = seal_blob(&k, &h, b"photo").unwrap();
    for i in 0..HEADER_LEN {
        for x in [0x01, 0xff] {
            let mut bad = blob.clone();
            bad[i] ^= x;
            let e = open_blob(&k, None, &bad).unwrap_err();
            let want = match i {
                0..8 => VaultError::NotAVault,
                8..10 => VaultError::UnknownVersion {
                    found: u16::from_be_bytes([bad[8], bad[9]]).into(),
                    supported: 1,
                },
                _ => VaultError::Tampered,
            };
            assert_eq!(e, want, "byte {i} ^ {x:#x}");
        }
    }
}

#[test]
fn tag_flips_and_sampled_flips_of_a_three_segment_blob_are_detected() {
    let k = key(3);
    let h = header_for(&k, 4);
    let blob = seal_blob(&k, &h, &pattern(4, 2 * SEG + 500)).unwrap();
    let seg_end = |s: usize| HEADER_LEN + (s + 1) * SEALED_SEGMENT_LEN;
    let mut positions: Vec<usize> = Vec::new();
    for s in 0..2 {
        positions.extend(seg_end(s) - TAG_LEN..seg_end(s)); // tags of the full segments
    }
    positions.extend(blob.len() - TAG_LEN..blob.len()); // last tag
    let mut x = 12345u64;
    for _ in 0..2000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        positions.push((x >> 33) as usize % blob.len());
    }
    for i in positions {
        let mut bad = blob.clone();
        bad[i] ^= 0x01;
        assert!(open_blob(&k, Some(h.item), &bad).is_err(), "byte {i}");
    }
}

fn segments(blob: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let head = blob[..HEADER_LEN].to_vec();
    let segs = blob[HEADER_LEN..]
        .chunks(SEALED_SEGMENT_LEN)
        .map(<[u8]>::to_vec)
        .collect();
    (head, segs)
}

#[test]
fn truncation_is_detected_and_named_at_segment_boundaries() {
    let k = key(5);
    let h = header_for(&k, 6);
    let blob = seal_blob(&k, &h, &pattern(6, 2 * SEG + 10)).unwrap();
    // Cut exactly after a full segment: the stream lacks its last segment.
    for s in 1..=2 {
        let at = HEADER_LEN + s * SEALED_SEGMENT_LEN;
        assert_eq!(
            open_blob(&k, None, &blob[..at]).unwrap_err(),
            VaultError::Truncated,
            "cut after segment {s}"
        );
    }
    // Cut inside the header, right after it, or leaving less than a tag.
    for at in [0, 5, 9, 10, HEADER_LEN - 1, HEADER_LEN, HEADER_LEN + 15] {
        let e = open_blob(&k, None, &blob[..at]).unwrap_err();
        assert_eq!(e, VaultError::Truncated, "cut at {at}");
    }
    // Any other cut still fails.
    for at in (HEADER_LEN..blob.len()).step_by(997) {
        assert!(open_blob(&k, None, &blob[..at]).is_err(), "cut at {at}");
    }
    // An empty item is one final segment of 16 bytes; without it, truncated.
    let empty = seal_blob(&k, &h, b"").unwrap();
    assert_eq!(empty.len(), HEADER_LEN + TAG_LEN);
    assert_eq!(
        open_blob(&k, None, &empty[..HEADER_LEN]).unwrap_err(),
        VaultError::Truncated
    );
}

#[test]
fn segment_swaps_drops_duplicates_and_splices_are_detected() {
    let k = key(9);
    let h = header_for(&k, 1);
    let blob = seal_blob(&k, &h, &pattern(1, 3 * SEG + 10)).unwrap();
    let (head, segs) = segments(&blob);
    let join = |order: &[usize], from: &[Vec<u8>]| {
        let mut b = head.clone();
        for &i in order {
            b.extend_from_slice(&from[i]);
        }
        b
    };
    assert!(open_blob(&k, None, &join(&[0, 1, 2, 3], &segs)).is_ok());
    for order in [
        &[1, 0, 2, 3][..],
        &[0, 2, 1, 3],
        &[0, 1, 3],
        &[0, 0, 1, 2, 3],
        &[0, 1, 2, 3, 3],
        &[3],
    ] {
        assert_eq!(
            open_blob(&k, None, &join(order, &segs)).unwrap_err(),
            VaultError::Tampered,
            "{order:?}"
        );
    }
    // Segments of another item sealed under the same key (never done, but the header binds them).
    let other = seal_blob(&k, &header_for(&k, 2), &pattern(1, 3 * SEG + 10)).unwrap();
    let (_, other_segs) = segments(&other);
    let mut mixed = segs.clone();
    mixed[1] = other_segs[1].clone();
    assert_eq!(
        open_blob(&k, None, &join(&[0, 1, 2, 3], &mixed)).unwrap_err(),
        VaultError::Tampered
    );
    // Trailing bytes after the last segment.
    let mut long = blob.clone();
    long.push(0);
    assert_eq!(
        open_blob(&k, None, &long).unwrap_err(),
        VaultError::Tampered
    );
}

#[test]
fn an_empty_last_segment_after_a_full_one_is_rejected() {
    // Hand-build the non-canonical encoding of 64 KiB: a full middle segment plus an empty last one.
    use ring::aead::{Aad, Nonce};
    let k = key(2);
    let h = header_for(&k, 2);
    let aead = k.subkey(super::keys::Purpose::Blob).unwrap();
    let head = h.to_bytes();
    let mut blob = head.to_vec();
    for (i, (chunk, last)) in [(vec![7u8; SEG], false), (Vec::new(), true)]
        .into_iter()
        .enumerate()
    {
        let mut n = [0u8; 12];
        n[10] = i as u8;
        n[11] = u8::from(last);
        let mut buf = chunk;
        let tag = aead
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(n), Aad::from(&head), &mut buf)
            .unwrap();
        blob.extend_from_slice(&buf);
        blob.extend_from_slice(tag.as_ref());
    }
    assert_eq!(
        open_blob(&k, None, &blob).unwrap_err(),
        VaultError::Tampered
    );
}

#[test]
fn wrong_key_or_wrong_item_is_tampered() {
    let k = key(1);
    let h = header_for(&k, 1);
    let blob = seal_blob(&k, &h, b"x").unwrap();
    assert_eq!(
        open_blob(&key(2), None, &blob).unwrap_err(),
        VaultError::Tampered
    );
    assert_eq!(
        open_blob(&k, Some(ItemId([9; 16])), &blob).unwrap_err(),
        VaultError::Tampered
    );
    assert_eq!(
        seal_blob(&key(2), &h, b"x").unwrap_err(),
        VaultError::ApiMisuse("the header names another data key")
    );
}

#[test]
fn tampering_with_the_index_is_detected() {
    let (_tmp, _keys, vault) = new_vault();
    let fields = PatientFields {
        nhs_number: Some("9434765919".into()),
        family_name: Some("Featherstonehaugh".into()),
        ..PatientFields::default()
    };
    let a = vault
        .seal(ItemKind::Photo, b"photo a", Some(&fields), Timestamp(1))
        .unwrap();
    let b = vault
        .seal(ItemKind::Photo, b"photo b", Some(&fields), Timestamp(2))
        .unwrap();
    assert_eq!(vault.patient_fields(a).unwrap(), Some(fields.clone()));
    let get = |col: &str, id: ItemId| -> Vec<u8> {
        vault
            .index()
            .unwrap()
            .conn()
            .query_row(
                &format!("SELECT {col} FROM items WHERE id = ?1"),
                [id.0.as_slice()],
                |r| r.get(0),
            )
            .unwrap()
    };
    let set = |col: &str, id: ItemId, v: &[u8]| {
        vault
            .index()
            .unwrap()
            .conn()
            .execute(
                &format!("UPDATE items SET {col} = ?2 WHERE id = ?1"),
                rusqlite::params![id.0.as_slice(), v],
            )
            .unwrap();
    };
    // Every byte of the sealed patient fields.
    let sealed = get("patient", a);
    for i in 0..sealed.len() {
        let mut bad = sealed.clone();
        bad[i] ^= 0x01;
        set("patient", a, &bad);
        assert_eq!(
            vault.patient_fields(a).unwrap_err(),
            VaultError::Tampered,
            "byte {i}"
        );
    }
    set("patient", a, &sealed);
    // Every byte of the wrapped key.
    let wrapped = get("wrapped_key", a);
    for i in 0..wrapped.len() {
        let mut bad = wrapped.clone();
        bad[i] ^= 0x01;
        set("wrapped_key", a, &bad);
        assert_eq!(
            vault.unseal(a).unwrap_err(),
            VaultError::Tampered,
            "byte {i}"
        );
    }
    // Another item's wrapped key or patient fields, moved over.
    set("wrapped_key", a, &get("wrapped_key", b));
    assert_eq!(vault.unseal(a).unwrap_err(), VaultError::Tampered);
    set("wrapped_key", a, &wrapped);
    set("patient", a, &get("patient", b));
    assert_eq!(vault.patient_fields(a).unwrap_err(), VaultError::Tampered);
    set("patient", a, &sealed);
    // Blobs swapped between items.
    let pa = vault.dir().join("blobs").join(format!("{a}.wcv"));
    let pb = vault.dir().join("blobs").join(format!("{b}.wcv"));
    let (ba, bb) = (fs::read(&pa).unwrap(), fs::read(&pb).unwrap());
    fs::write(&pa, &bb).unwrap();
    assert_eq!(vault.unseal(a).unwrap_err(), VaultError::Tampered);
    fs::write(&pa, &ba).unwrap();
    assert_eq!(&vault.unseal(a).unwrap()[..], b"photo a");
    assert_eq!(vault.patient_fields(a).unwrap(), Some(fields));
}

#[test]
fn a_foreign_index_or_blob_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("index.sqlite"), vec![0x42; 8192]).unwrap();
    assert_eq!(
        Vault::open(&dir, &MemoryKeyStore::new()).unwrap_err(),
        VaultError::NotAVault
    );
    assert_eq!(
        open_blob(&key(1), None, b"%PDF-1.7 not ours").unwrap_err(),
        VaultError::NotAVault
    );
}

// ---- keys and keystores ------------------------------------------------------------------------

#[test]
fn a_missing_or_foreign_key_is_a_clear_error_and_never_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let keys = MemoryKeyStore::new();
    assert_eq!(Vault::open(&dir, &keys).unwrap_err(), VaultError::NoVault);
    let vault = Vault::open_or_create(&dir, &keys).unwrap();
    let id = vault
        .seal(ItemKind::Consent, b"consent", None, Timestamp(1))
        .unwrap();
    drop(vault);
    assert_eq!(
        Vault::create(&dir, &keys).unwrap_err(),
        VaultError::AlreadyExists
    );
    // Keystore wiped (passcode removed, restore from backup): a clear error, no new vault.
    let empty = MemoryKeyStore::new();
    assert_eq!(
        Vault::open_or_create(&dir, &empty).unwrap_err(),
        VaultError::KeyUnavailable
    );
    // Some other key under this vault's name.
    let index = Index::open(&dir.join("index.sqlite")).unwrap();
    let name: String = index
        .meta("vault_id")
        .unwrap()
        .unwrap()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    drop(index);
    let wrong = MemoryKeyStore::new();
    wrong.save(&name, &MasterKey::generate().unwrap()).unwrap();
    assert_eq!(
        Vault::open(&dir, &wrong).unwrap_err(),
        VaultError::KeyUnavailable
    );
    // The right key still opens everything.
    let vault = Vault::open(&dir, &keys).unwrap();
    assert_eq!(&vault.unseal(id).unwrap()[..], b"consent");
}

#[test]
fn a_memory_only_keyring_store_is_refused() {
    let mock = keyring_core::mock::Store::new().unwrap();
    let e = KeyringKeyStore::new(mock).unwrap_err();
    assert_eq!(e.code(), "vault.keystore_missing");
}

#[test]
fn no_default_keyring_store_is_a_clear_error() {
    if keyring_core::get_default_store().is_some() {
        eprintln!("skipped: a default keyring store is set in this process");
        return;
    }
    assert_eq!(
        KeyringKeyStore::from_default().unwrap_err().code(),
        "vault.keystore_missing"
    );
}

/// Against the real Secret Service: runs under `scripts/with-keyring` (or any session with an
/// unlocked Secret Service), and says why it skips otherwise.
#[cfg(target_os = "linux")]
#[test]
fn secret_service_keystore_round_trip() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        eprintln!(
            "skipped secret_service_keystore_round_trip: DBUS_SESSION_BUS_ADDRESS is not set; \
             run `scripts/with-keyring cargo test -p wardcam-core` to test the real Secret Service"
        );
        return;
    }
    let store = KeyringKeyStore::linux_secret_service().unwrap();
    let name = format!("wardcam-test-{}", std::process::id());
    let key = MasterKey::generate().unwrap();
    assert!(store.load(&name).unwrap().is_none());
    store.save(&name, &key).unwrap();
    assert_eq!(store.load(&name).unwrap().unwrap().id(), key.id());
    store.remove(&name).unwrap();
    assert!(store.load(&name).unwrap().is_none());
    store.remove(&name).unwrap();

    // A whole vault over it, reopened through a fresh connection.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let vault = Vault::create(&dir, &store).unwrap();
    let id = vault
        .seal(ItemKind::Signature, b"signature", None, Timestamp(1))
        .unwrap();
    drop(vault);
    let again = KeyringKeyStore::linux_secret_service().unwrap();
    let vault = Vault::open(&dir, &again).unwrap();
    assert_eq!(&vault.unseal(id).unwrap()[..], b"signature");
    let index = Index::open(&dir.join("index.sqlite")).unwrap();
    let name: String = index
        .meta("vault_id")
        .unwrap()
        .unwrap()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    again.remove(&name).unwrap();
    drop(vault);
    assert_eq!(
        Vault::open(&dir, &again).unwrap_err(),
        VaultError::KeyUnavailable
    );
}

#[test]
fn debug_output_never_shows_secrets() {
    let k = MasterKey::from_bytes(&[0xab; 32]);
    let d = DataKey::from_bytes(&[0xcd; 32]);
    let p = PatientFields {
        nhs_number: Some("9434765919".into()),
        ..PatientFields::default()
    };
    let store = MemoryKeyStore::new();
    store.save("x", &k).unwrap();
    let all = format!("{k:?} {d:?} {p:?} {store:?}");
    for bad in ["ab", "AB", "171", "cd", "205", "9434765919"] {
        assert!(!all.contains(bad), "{all}");
    }
}

// ---- index, states, retention, sweep -----------------------------------------------------------

#[test]
fn states_and_listing() {
    let (_tmp, _keys, vault) = new_vault();
    let a = vault
        .seal(ItemKind::Photo, b"a", None, Timestamp(20))
        .unwrap();
    let b = vault
        .seal(ItemKind::Thumbnail, b"bb", None, Timestamp(10))
        .unwrap();
    vault.set_state(a, ItemState::Queued).unwrap();
    let list = vault.list().unwrap();
    assert_eq!(list.iter().map(|m| m.id).collect::<Vec<_>>(), vec![b, a]);
    assert_eq!(list[1].state, ItemState::Queued);
    assert_eq!(list[0].kind, ItemKind::Thumbnail);
    assert_eq!(list[0].size, 2);
    vault.delete(b).unwrap();
    assert_eq!(vault.delete(b).unwrap_err(), VaultError::NotFound);
    assert_eq!(vault.unseal(b).unwrap_err(), VaultError::NotFound);
    assert_eq!(
        vault.set_state(b, ItemState::Sent).unwrap_err(),
        VaultError::NotFound
    );
    assert_eq!(vault.list().unwrap().len(), 1);
    let json = serde_json::to_value(vault.meta(a).unwrap()).unwrap();
    assert_eq!(json["state"], "queued");
    assert_eq!(json["id"], a.to_string());
}

#[test]
fn sweep_removes_orphans_in_both_directions() {
    let (tmp, keys, vault) = new_vault();
    let dir = vault.dir().to_path_buf();
    let blobs = dir.join("blobs");
    let keep = vault
        .seal(ItemKind::Photo, b"keep", None, Timestamp(1))
        .unwrap();
    let lost = vault
        .seal(ItemKind::Photo, b"lost", None, Timestamp(1))
        .unwrap();
    let half_deleted = vault
        .seal(ItemKind::Photo, b"half", None, Timestamp(1))
        .unwrap();
    assert!(vault.last_sweep().is_clean());
    // Blob of `lost` removed outside WardCam; `half_deleted` shredded but not finished.
    fs::remove_file(blobs.join(format!("{lost}.wcv"))).unwrap();
    vault.index().unwrap().shred(&[half_deleted]).unwrap();
    // An interrupted seal before its rename, and one before its commit.
    let temp_id = ItemId([1; 16]);
    fs::write(blobs.join(format!("{temp_id}.tmp")), b"partial").unwrap();
    let orphan = ItemId([2; 16]);
    fs::copy(
        blobs.join(format!("{keep}.wcv")),
        blobs.join(format!("{orphan}.wcv")),
    )
    .unwrap();
    fs::write(blobs.join("README"), b"not ours").unwrap();
    drop(vault);

    let vault = Vault::open(&dir, &keys).unwrap();
    let r = vault.last_sweep().clone();
    assert_eq!(r.temp_files_removed, 1);
    assert_eq!(r.orphan_blobs_removed, vec![orphan]);
    assert_eq!(r.deletions_finished, vec![half_deleted]);
    assert_eq!(r.missing_blobs, vec![lost]);
    assert_eq!(r.unknown_files, 1);
    let mut names: Vec<String> = files_under(&blobs)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want = vec!["README".to_string(), format!("{keep}.wcv")];
    want.sort();
    assert_eq!(names, want);
    assert_eq!(vault.list().unwrap().len(), 1);
    assert!(vault.sweep().unwrap().is_clean());
    drop(tmp);
}

#[test]
fn migration_from_schema_1_keeps_items_and_a_newer_index_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("index.sqlite");
    {
        let v1 = Index::open_at(&path, 1).unwrap();
        assert_eq!(v1.version().unwrap(), 1);
        v1.conn()
            .execute(
                "INSERT INTO items (id, kind, created_at, state, size, wrapped_key)
                 VALUES (?1, 'photo', 5, 'queued', 3, ?2)",
                rusqlite::params![[7u8; 16].as_slice(), [1u8; 60].as_slice()],
            )
            .unwrap();
        // The column version 2 adds is not there yet.
        assert!(v1.conn().prepare("SELECT patient FROM items").is_err());
    }
    let v2 = Index::open(&path).unwrap();
    assert_eq!(v2.version().unwrap(), SCHEMA_VERSION);
    assert_eq!(SCHEMA_VERSION, 2);
    let row = v2.get(ItemId([7; 16])).unwrap().unwrap();
    assert_eq!(
        (row.kind.as_str(), row.state.as_str(), row.size),
        ("photo", "queued", 3)
    );
    assert_eq!(row.patient, None);
    let indexes: i64 = v2
        .conn()
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'items_created_at'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(indexes, 1);
    // Reopening is a no-op.
    drop(v2);
    assert_eq!(Index::open(&path).unwrap().version().unwrap(), 2);
    // A newer WardCam's index.
    Index::open(&path)
        .unwrap()
        .conn()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    assert_eq!(
        Index::open(&path).unwrap_err(),
        VaultError::UnknownVersion {
            found: 99,
            supported: 2
        }
    );
}

#[test]
fn index_pragmas_are_in_force() {
    let (_tmp, _keys, vault) = new_vault();
    let index = vault.index().unwrap();
    let c = index.conn();
    let secure: i64 = c
        .query_row("PRAGMA secure_delete", [], |r| r.get(0))
        .unwrap();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    let sync: i64 = c.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
    assert_eq!((secure, mode.as_str(), sync), (1, "wal", 2));
}

// ---- forensics and plaintext at rest -----------------------------------------------------------

const MARKER: &[u8] = b"WARDCAM-PLAINTEXT-MARKER-7f3c";

fn marked_photo(len: usize) -> Vec<u8> {
    let mut data = pattern(len as u64, len);
    for at in (0..len.saturating_sub(MARKER.len())).step_by(4096) {
        data[at..at + MARKER.len()].copy_from_slice(MARKER);
    }
    data
}

#[test]
fn the_scanner_finds_what_it_looks_for() {
    // Positive control for the scans below: a plaintext file is found, in the WAL too.
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("plain.jpg"), marked_photo(10_000)).unwrap();
    assert_eq!(files_containing(tmp.path(), MARKER).len(), 1);
    let (_t, _k, vault) = new_vault();
    vault
        .index()
        .unwrap()
        .conn()
        .execute(
            "INSERT INTO meta (name, value) VALUES ('probe', ?1)",
            [MARKER],
        )
        .unwrap();
    assert!(!files_containing(vault.dir(), MARKER).is_empty());
}

#[test]
fn no_plaintext_or_patient_identifier_reaches_the_disk() {
    let (_tmp, keys, vault) = new_vault();
    let fields = PatientFields {
        nhs_number: Some("9434765919".into()),
        family_name: Some("Quimby-Marker".into()),
        given_names: Some("Zebedee".into()),
        date_of_birth: Some("1931-02-29".into()),
        note: Some("left forearm WARDCAM-NOTE-MARKER".into()),
    };
    let mut ids = Vec::new();
    for (i, len) in [100, SEG, 3 * SEG + 5, 1_000_000].into_iter().enumerate() {
        let kind = ItemKind::ALL[i % 4];
        ids.push(
            vault
                .seal(kind, &marked_photo(len), Some(&fields), Timestamp(1))
                .unwrap(),
        );
    }
    let needles: [&[u8]; 6] = [
        MARKER,
        b"9434765919",
        b"Quimby-Marker",
        b"Zebedee",
        b"1931-02-29",
        b"WARDCAM-NOTE-MARKER",
    ];
    let dir = vault.dir().to_path_buf();
    let check = || {
        for n in needles {
            assert_eq!(
                files_containing(&dir, n),
                Vec::<PathBuf>::new(),
                "{}",
                String::from_utf8_lossy(n)
            );
        }
    };
    check(); // with the WAL live
    drop(vault);
    check(); // after close
    let vault = Vault::open(&dir, &keys).unwrap();
    assert_eq!(vault.patient_fields(ids[0]).unwrap(), Some(fields));
    check();
}

#[test]
fn after_delete_no_key_ciphertext_or_plaintext_remains() {
    shred_leaves_nothing(|vault, gone| vault.delete(gone).unwrap());
}

#[test]
fn after_a_scrubbed_replace_no_key_ciphertext_or_plaintext_remains() {
    shred_leaves_nothing(|vault, gone| {
        let done = vault
            .seal_replacing(
                ItemKind::Receipt,
                b"receipt",
                None,
                Timestamp(2),
                &[gone],
                Scrub::Now,
            )
            .unwrap();
        assert_eq!(done.live, 1);
        assert!(!done.scrub_pending);
        assert_eq!(&vault.unseal(done.id).unwrap()[..], b"receipt");
    });
}

#[test]
fn a_replace_retires_in_one_commit_and_a_later_scrub_clears_the_log() {
    let (_tmp, _keys, vault) = new_vault();
    let dir = vault.dir().to_path_buf();
    let first = vault
        .seal(ItemKind::Manifest, b"revision 1", None, Timestamp(1))
        .unwrap();
    let wrapped = vault.live_row(first).unwrap().0.wrapped_key.unwrap();
    let second = vault
        .seal_replacing(
            ItemKind::Manifest,
            b"revision 2",
            None,
            Timestamp(2),
            &[first],
            Scrub::Later,
        )
        .unwrap();
    assert_eq!(second.live, 1);
    assert!(matches!(vault.unseal(first), Err(VaultError::NotFound)));
    assert!(!dir.join("blobs").join(format!("{first}.wcv")).exists());
    assert_eq!(&vault.unseal(second.id).unwrap()[..], b"revision 2");
    // Retiring what is already gone counts nothing and still commits the new item.
    let third = vault
        .seal_replacing(
            ItemKind::Manifest,
            b"revision 3",
            None,
            Timestamp(3),
            &[first, second.id],
            Scrub::Now,
        )
        .unwrap();
    assert_eq!(third.live, 1);
    assert_eq!(
        vault
            .list()
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect::<Vec<_>>(),
        vec![third.id]
    );
    // The scrub took the first revision's key out of the log too.
    assert_eq!(files_containing(&dir, &wrapped), Vec::<PathBuf>::new());
}

/// Seals a marked item beside one kept, destroys it with `shred`, and checks that no key,
/// ciphertext, patient field or plaintext of it is left anywhere in the vault's folder.
fn shred_leaves_nothing(shred: impl Fn(&Vault, ItemId)) {
    let (_tmp, _keys, vault) = new_vault();
    let dir = vault.dir().to_path_buf();
    let fields = PatientFields {
        family_name: Some("Forensic-Patient".into()),
        ..PatientFields::default()
    };
    let keep = vault
        .seal(ItemKind::Photo, &marked_photo(5000), None, Timestamp(1))
        .unwrap();
    let data = marked_photo(200_000);
    let gone = vault
        .seal(ItemKind::Photo, &data, Some(&fields), Timestamp(1))
        .unwrap();
    let (row, data_key) = vault.live_row(gone).unwrap();
    let wrapped = row.wrapped_key.clone().unwrap();
    let sealed_fields = row.patient.clone().unwrap();
    let blob = fs::read(dir.join("blobs").join(format!("{gone}.wcv"))).unwrap();
    let key_bytes = Zeroizing::new(data_key.expose().to_vec());
    let blob_sample = blob[100_000..100_064].to_vec();
    let item_id = gone.0.to_vec();
    // Before: the wrapped key, sealed fields and ciphertext are there to be found.
    assert!(!files_containing(&dir, &wrapped).is_empty());
    assert!(!files_containing(&dir, &sealed_fields).is_empty());
    assert!(!files_containing(&dir, &blob_sample).is_empty());

    shred(&vault, gone);
    let check = |when: &str| {
        for (what, needle) in [
            ("data key", &key_bytes[..]),
            ("wrapped key", &wrapped[..]),
            ("sealed patient fields", &sealed_fields[..]),
            ("blob ciphertext", &blob_sample[..]),
            ("item id", &item_id[..]),
            ("plaintext marker", MARKER),
        ] {
            assert_eq!(
                files_containing(&dir, needle),
                Vec::<PathBuf>::new(),
                "{what} found {when}"
            );
        }
    };
    check("with the vault open");
    for wal in ["index.sqlite-wal", "index.sqlite-journal"] {
        let len = fs::metadata(dir.join(wal)).map(|m| m.len()).unwrap_or(0);
        assert_eq!(len, 0, "{wal} still holds pages");
    }
    assert_eq!(&vault.unseal(keep).unwrap()[..], &marked_photo(5000)[..]);
    drop(vault);
    check("after close");
}

// ---- errors ------------------------------------------------------------------------------------

#[test]
fn every_error_has_a_distinct_code_and_an_actionable_message() {
    let errors = [
        VaultError::Tampered,
        VaultError::Truncated,
        VaultError::UnknownVersion {
            found: 9,
            supported: 1,
        },
        VaultError::NotAVault,
        VaultError::KeyUnavailable,
        VaultError::KeystoreMissing {
            reason: "no Secret Service".into(),
        },
        VaultError::KeystoreLocked {
            reason: "locked".into(),
        },
        VaultError::KeystoreCorrupt,
        VaultError::NotFound,
        VaultError::AlreadyExists,
        VaultError::NoVault,
        VaultError::Io {
            action: "write an item",
            kind: std::io::ErrorKind::StorageFull,
        },
        VaultError::Index {
            detail: "disk I/O error".into(),
        },
        VaultError::ApiMisuse("test"),
    ];
    let mut codes: Vec<&str> = errors.iter().map(VaultError::code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
    for e in errors {
        assert!(e.code().starts_with("vault."));
        let msg = e.to_string();
        assert!(msg.ends_with('.'), "{msg}");
        assert!(msg.len() > 40, "{msg}");
        let top = crate::Error::from(e.clone());
        assert_eq!(top.code(), e.code());
    }
    assert!(VaultError::UnknownVersion {
        found: 9,
        supported: 1
    }
    .to_string()
    .contains("Update WardCam"));
}

// ---- crash safety ------------------------------------------------------------------------------

const CRASH_ENV: &str = "WARDCAM_VAULT_CRASH_CHILD";
const READY: &str = "WARDCAM-CRASH-CHILD-READY";

/// A keystore in files, so a killed child's key survives for the parent (test only).
#[derive(Debug)]
pub(crate) struct FileKeyStore(pub(crate) PathBuf);

impl KeyStore for FileKeyStore {
    fn load(&self, name: &str) -> Result<Option<MasterKey>, VaultError> {
        match fs::read(self.0.join(name)) {
            Ok(b) => Ok(Some(MasterKey::from_bytes(
                b.as_slice()
                    .try_into()
                    .map_err(|_| VaultError::KeystoreCorrupt)?,
            ))),
            Err(_) => Ok(None),
        }
    }
    fn save(&self, name: &str, key: &MasterKey) -> Result<(), VaultError> {
        fs::create_dir_all(&self.0).unwrap();
        let tmp = self.0.join(format!("{name}.tmp"));
        fs::write(&tmp, key.expose()).unwrap();
        fs::rename(tmp, self.0.join(name)).unwrap();
        Ok(())
    }
    fn remove(&self, name: &str) -> Result<(), VaultError> {
        let _ = fs::remove_file(self.0.join(name));
        Ok(())
    }
    // The key gate's record, so a crash campaign can run a ward behind the gate across processes.
    fn load_secret(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
        Ok(fs::read(self.0.join(name)).ok().map(Zeroizing::new))
    }
    fn save_secret(&self, name: &str, secret: &[u8]) -> Result<(), VaultError> {
        fs::create_dir_all(&self.0).unwrap();
        let tmp = self.0.join(format!("{name}.tmp"));
        fs::write(&tmp, secret).unwrap();
        fs::rename(tmp, self.0.join(name)).unwrap();
        Ok(())
    }
}

/// The child side of the crash test: seals (and sometimes deletes) until killed. Does nothing
/// unless re-executed by `crash_at_random_points_leaves_nothing_or_complete_items`.
#[test]
fn crash_child() {
    let Some(root) = std::env::var_os(CRASH_ENV) else {
        return;
    };
    let root = PathBuf::from(root);
    let keys = FileKeyStore(root.join("keys"));
    let vault = Vault::open_or_create(&root.join("vault"), &keys).unwrap();
    let mut log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(root.join("log"))
        .unwrap();
    let mut live: Vec<ItemId> = vault.list().unwrap().iter().map(|m| m.id).collect();
    let mut x = u64::from(std::process::id()) << 20 | 0x9e37;
    eprintln!("{READY}");
    loop {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if live.len() > 12 || x % 7 == 0 && !live.is_empty() {
            let id = live.remove((x % live.len() as u64) as usize);
            log.write_all(format!("del {id}\n").as_bytes()).unwrap();
            vault.delete(id).unwrap();
            continue;
        }
        let len = match x % 4 {
            0 => (x >> 8) as usize % 64,
            1 => SEG + (x >> 8) as usize % 3,
            _ => (x >> 8) as usize % 700_000,
        };
        let seed = x >> 4;
        if x % 5 == 1 && !live.is_empty() {
            // A record replaced by its next revision in one commit.
            let old = live.remove((x % live.len() as u64) as usize);
            log.write_all(format!("begin {old} {seed} {len}\n").as_bytes())
                .unwrap();
            let scrub = if x % 2 == 0 { Scrub::Now } else { Scrub::Later };
            let done = vault
                .seal_replacing(
                    ItemKind::Manifest,
                    &pattern(seed, len),
                    None,
                    Timestamp(1),
                    &[old],
                    scrub,
                )
                .unwrap();
            assert_eq!(done.live, 1);
            log.write_all(format!("repl {} {seed} {len}\n", done.id).as_bytes())
                .unwrap();
            live.push(done.id);
            continue;
        }
        let id = vault
            .seal(ItemKind::Photo, &pattern(seed, len), None, Timestamp(1))
            .unwrap();
        log.write_all(format!("seal {id} {seed} {len}\n").as_bytes())
            .unwrap();
        live.push(id);
    }
}

#[derive(Default)]
struct CrashStats {
    kills: usize,
    temp_files_seen: usize,
    orphans_swept: usize,
    deletions_finished: usize,
    acknowledged: usize,
    replaced: usize,
    replaces_cut_before_commit: usize,
    replaces_cut_after_commit: usize,
}

#[test]
fn crash_at_random_points_leaves_nothing_or_complete_items() {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _guard = ONE_AT_A_TIME.lock().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let keys = FileKeyStore(root.join("keys"));
    let dir = root.join("vault");
    let blobs = dir.join("blobs");
    let exe = std::env::current_exe().unwrap();
    let mut stats = CrashStats::default();
    let mut next = crate::crash_child::xorshift(0x2545_f491_4f6c_dd1du64);
    let started = Instant::now();
    // id -> (seed, len) of every acknowledged item; ids whose delete began.
    let mut acked: HashMap<ItemId, (u64, usize)> = HashMap::new();
    let mut delete_started: HashSet<ItemId> = HashSet::new();
    // A replace begun and not acknowledged when the child died: (old, seed, len).
    let mut replacing: Option<(ItemId, u64, usize)> = None;
    let mut log_read = 0usize;
    while stats.kills < 200 {
        let mut child = Command::new(&exe)
            .args([
                "vault::tests::crash_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CRASH_ENV, root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let r = next();
        if r.is_multiple_of(5) {
            // Anywhere from start-up (opening, sweeping) on.
            std::thread::sleep(Duration::from_micros(r % 30_000));
        } else {
            // Mid-loop: wait until it is sealing, then a random moment.
            let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
            for line in lines.by_ref() {
                if line.unwrap().contains(READY) {
                    break;
                }
            }
            std::thread::sleep(Duration::from_micros(r % 50_000));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stats.kills += 1;

        // What the child acknowledged (a torn last line is ignored: it was never acknowledged).
        let log = fs::read_to_string(root.join("log")).unwrap_or_default();
        let complete = log.rfind('\n').map_or(0, |i| i + 1);
        for line in log[log_read..complete].lines() {
            let parts: Vec<&str> = line.split(' ').collect();
            let id: ItemId = parts[1].parse().unwrap();
            match parts[0] {
                "seal" | "repl" => {
                    acked.insert(id, (parts[2].parse().unwrap(), parts[3].parse().unwrap()));
                    stats.acknowledged += 1;
                    if parts[0] == "repl" {
                        stats.replaced += 1;
                        replacing = None;
                    }
                }
                "begin" => {
                    delete_started.insert(id);
                    replacing = Some((id, parts[2].parse().unwrap(), parts[3].parse().unwrap()));
                }
                _ => {
                    delete_started.insert(id);
                }
            }
        }
        log_read = complete;

        if !dir.join("index.sqlite").exists() {
            continue;
        }
        if blobs.exists() {
            stats.temp_files_seen += files_under(&blobs)
                .iter()
                .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
                .count();
        }
        let vault = match Vault::open(&dir, &keys) {
            Ok(v) => v,
            // Killed while creating the vault: nothing was acknowledged yet.
            Err(VaultError::NoVault) | Err(VaultError::KeyUnavailable) if acked.is_empty() => {
                continue
            }
            Err(e) => panic!("reopen after kill {}: {e:?}", stats.kills),
        };
        stats.orphans_swept += vault.last_sweep().orphan_blobs_removed.len();
        stats.deletions_finished += vault.last_sweep().deletions_finished.len();
        // Nothing orphaned survives the sweep: blob files and live rows match one to one.
        let rows: HashSet<ItemId> = vault.list().unwrap().iter().map(|m| m.id).collect();
        let files: HashSet<ItemId> = files_under(&blobs)
            .iter()
            .map(|p| {
                assert_eq!(p.extension().unwrap(), "wcv", "{p:?} survived the sweep");
                p.file_stem().unwrap().to_str().unwrap().parse().unwrap()
            })
            .collect();
        assert_eq!(rows, files, "after kill {}", stats.kills);
        // Whatever is in the vault is complete, acknowledged or not.
        for id in &rows {
            if let Err(e) = vault.unseal(*id) {
                panic!(
                    "{id} is in the vault but does not open after kill {}: {e:?}",
                    stats.kills
                );
            }
        }
        // A replace cut short left the old revision or the new one: never both, never neither.
        if let Some((old, seed, len)) = replacing.take() {
            let old_there = vault.unseal(old).is_ok();
            let expected = pattern(seed, len);
            let new_there = rows
                .iter()
                .filter(|id| !acked.contains_key(id) && **id != old)
                .filter(|id| vault.unseal(**id).is_ok_and(|d| d[..] == expected[..]))
                .count();
            assert_eq!(
                usize::from(old_there) + new_there,
                1,
                "a replace cut by kill {} left {} old and {new_there} new",
                stats.kills,
                usize::from(old_there)
            );
            if old_there {
                stats.replaces_cut_before_commit += 1;
            } else {
                stats.replaces_cut_after_commit += 1;
            }
        }
        // Every acknowledged item not being deleted opens, intact; one being deleted is either
        // wholly there or wholly gone.
        acked.retain(|id, (seed, len)| {
            let deleting = delete_started.contains(id);
            match vault.unseal(*id) {
                Ok(data) => {
                    assert!(data[..] == pattern(*seed, *len)[..], "{id} corrupted");
                    true
                }
                Err(VaultError::NotFound) if deleting => false,
                Err(e) => panic!("acknowledged item {id} lost after kill: {e:?}"),
            }
        });
    }
    eprintln!(
        "crash test: {} kills, {} acknowledged seals, {} temp files and {} orphan blobs found, \
         {} interrupted deletions finished, {} replaces ({} cut before their commit, {} after), \
         {:.1} s",
        stats.kills,
        stats.acknowledged,
        stats.temp_files_seen,
        stats.orphans_swept,
        stats.deletions_finished,
        stats.replaced,
        stats.replaces_cut_before_commit,
        stats.replaces_cut_after_commit,
        started.elapsed().as_secs_f64()
    );
    // The kills must have landed inside seals, or the test proves nothing.
    assert!(
        stats.acknowledged >= 60,
        "only {} seals",
        stats.acknowledged
    );
    assert!(
        stats.temp_files_seen >= 10,
        "only {} kills mid-write",
        stats.temp_files_seen
    );
    assert!(
        stats.orphans_swept >= 10,
        "only {} kills before commit",
        stats.orphans_swept
    );
    assert!(stats.replaced >= 10, "only {} replaces", stats.replaced);
    assert!(
        stats.replaces_cut_before_commit + stats.replaces_cut_after_commit >= 5,
        "only {} kills inside a replace",
        stats.replaces_cut_before_commit + stats.replaces_cut_after_commit
    );
}
