//! Remote wipe: the signed command's checks (each forgery, alteration, expiry and replay refused
//! with its own code, and wiping nothing), the wipe itself (no item opens afterwards, not even
//! from a copy of the folder taken before; the master key and gate record are gone; the policy
//! stays), its idempotence, its resumption after each step and after SIGKILL at random moments,
//! and the ward's entry point (the audit entry joins the chain, the wiped state holds until
//! acknowledged), against the real Secret Service where one answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use zeroize::Zeroizing;

use super::command::{read_order, sign, verify};
use super::*;
use crate::audit::Event;
use crate::auth::gate::GATE_SUFFIX;
use crate::auth::KeyGate;
use crate::policy::payload::generate_key_pair;
use crate::policy::ProvisioningKey;
use crate::session::{Millis, Purpose, SessionPolicy};
use crate::vault::danger::MemoryKeyStore;
use crate::vault::tests::FileKeyStore;
use crate::vault::{ItemKind, KeyStore, Timestamp, Vault, VaultError};
use crate::visit::testing::{candidate, jpeg, verbal, BAND};
use crate::visit::{Clock, Storage, Ward, WipeRequest};
use crate::Error;

const NOW: u64 = 1_790_000_000;
const ODS: &str = "RX1";
const PIN: &str = "482916";

struct Signer {
    pkcs8: Zeroizing<Vec<u8>>,
    public: ProvisioningKey,
}

fn signer() -> Signer {
    let (pkcs8, public) = generate_key_pair().unwrap();
    Signer { pkcs8, public }
}

impl Signer {
    fn authority(&self) -> Authority {
        Authority {
            ods_code: ODS.into(),
            keys: vec![self.public],
        }
    }

    fn code(&self, target: Target, issued_at: u64) -> String {
        let order = Order::new(ODS, target, issued_at, DEFAULT_VALIDITY_SECS).unwrap();
        sign(&order, &self.pkcs8).unwrap()
    }

    fn fleet(&self) -> String {
        self.code(Target::Fleet, NOW)
    }
}

/// A vault with `n` photos behind a gate-like keystore layout (the raw key and a gate record
/// beside it), plus a kept policy entry: what a locked phone holds.
fn vault_with_items(dir: &Path, keys: &dyn KeyStore, n: usize) -> String {
    let vault = Vault::create(dir, keys).unwrap();
    for i in 0..n {
        vault
            .seal(
                ItemKind::Photo,
                &jpeg(i as u64),
                None,
                Timestamp(1_000 + i as u64),
            )
            .unwrap();
    }
    drop(vault);
    Vault::keystore_name_in(dir).unwrap().unwrap()
}

fn only_the_record_left(dir: &Path) {
    let left: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, vec![RECORD_FILE.to_owned()], "{left:?}");
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

// ---- the signed command -------------------------------------------------------------------------

#[test]
fn a_signed_command_round_trips_and_reads_back() {
    let s = signer();
    let code = s.fleet();
    assert!(code.starts_with(CODE_PREFIX));
    assert!(!code.contains('\n'));
    let order = verify(&code, &[s.public], NOW + 10).unwrap();
    assert_eq!(order.ods_code, ODS);
    assert_eq!(order.target, Target::Fleet);
    assert_eq!(order.key, s.public.to_base64());
    assert_eq!(order.expires_at, NOW + DEFAULT_VALIDITY_SECS);
    assert_eq!(read_order(&code).unwrap(), order);
    // Two commands never share a nonce.
    assert_ne!(read_order(&s.fleet()).unwrap().nonce, order.nonce);
}

#[test]
fn each_forgery_is_refused_with_its_own_code() {
    let s = signer();
    let code = s.fleet();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (order_b64, sig_b64) = code[CODE_PREFIX.len()..].split_once('.').unwrap();

    // The order altered (another target), signature kept.
    let mut order = read_order(&code).unwrap();
    order.target = Target::Installation("ab".repeat(16));
    let altered = format!(
        "{CODE_PREFIX}{}.{sig_b64}",
        b64.encode(serde_json::to_vec(&order).unwrap())
    );
    assert_eq!(
        verify(&altered, &[s.public], NOW),
        Err(WipeError::BadSignature)
    );

    // One bit of the signature flipped.
    let mut sig = b64.decode(sig_b64).unwrap();
    sig[7] ^= 1;
    let flipped = format!("{CODE_PREFIX}{order_b64}.{}", b64.encode(&sig));
    assert_eq!(
        verify(&flipped, &[s.public], NOW),
        Err(WipeError::BadSignature)
    );

    // Signed by a key this phone does not trust.
    let stranger = signer();
    assert_eq!(
        verify(&stranger.fleet(), &[s.public], NOW),
        Err(WipeError::UnknownKey)
    );
    // A stranger's signature over an order that claims the trusted key.
    let mut claimed = read_order(&stranger.fleet()).unwrap();
    claimed.key = s.public.to_base64();
    let json = serde_json::to_vec(&claimed).unwrap();
    let pair =
        ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&stranger.pkcs8).unwrap();
    let mut message = b"WardCam wipe command v1\n".to_vec();
    message.extend_from_slice(&json);
    let forged = format!(
        "{CODE_PREFIX}{}.{}",
        b64.encode(&json),
        b64.encode(pair.sign(&message).as_ref())
    );
    assert_eq!(
        verify(&forged, &[s.public], NOW),
        Err(WipeError::BadSignature)
    );

    // The trusted key's signature under the provisioning codes' context is not a wipe's.
    let order = read_order(&code).unwrap();
    let json = serde_json::to_vec(&order).unwrap();
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&s.pkcs8).unwrap();
    let mut message = b"WardCam provisioning code v1\n".to_vec();
    message.extend_from_slice(&json);
    let cross = format!(
        "{CODE_PREFIX}{}.{}",
        b64.encode(&json),
        b64.encode(pair.sign(&message).as_ref())
    );
    assert_eq!(
        verify(&cross, &[s.public], NOW),
        Err(WipeError::BadSignature)
    );

    // Expired, a second after its end.
    let end = order.expires_at;
    assert!(verify(&code, &[s.public], end).is_ok());
    assert_eq!(verify(&code, &[s.public], end + 1), Err(WipeError::Expired));

    // Not a command at all, and no key to check it with.
    for junk in ["", "WCP1:1/1:abc.def", "WCW1:", "WCW1:!!!.x", "hello"] {
        assert_eq!(
            verify(junk, &[s.public], NOW).unwrap_err().code(),
            if junk.starts_with("WCW1:") && junk.contains('.') {
                "wipe.malformed"
            } else if junk.starts_with("WCW1:") {
                "wipe.bad_signature"
            } else {
                "wipe.malformed"
            },
            "{junk}"
        );
    }
    assert_eq!(verify(&code, &[], NOW), Err(WipeError::NoProvisioningKeys));
}

#[test]
fn a_command_valid_for_more_than_a_week_is_never_made() {
    let s = signer();
    let order = Order::new(ODS, Target::Fleet, NOW, MAX_VALIDITY_SECS + 1).unwrap();
    assert_eq!(sign(&order, &s.pkcs8).unwrap_err().code(), "wipe.malformed");
    let order = Order::new(ODS, Target::Fleet, NOW, MAX_VALIDITY_SECS).unwrap();
    assert!(sign(&order, &s.pkcs8).is_ok());
    let order = Order::new("rx1; drop", Target::Fleet, NOW, 60).unwrap();
    assert_eq!(sign(&order, &s.pkcs8).unwrap_err().code(), "wipe.malformed");
}

// ---- the fuzz target's body ----------------------------------------------------------------------

/// The `wipe_command` fuzz target's seeds: commands signed with the fuzz body's test key (valid at
/// its `NOW`, so the fuzzer starts past the signature), one expired, and a signed order's JSON.
fn fuzz_seeds() -> Vec<(&'static str, Vec<u8>)> {
    use super::command::fuzzing::{key_of, NOW, TEST_SEED};
    let (pkcs8, key) = key_of(&TEST_SEED).unwrap();
    let order = |target, issued_at, expires_at| Order {
        ods_code: "RX1".into(),
        target,
        nonce: "0123456789abcdef0123456789abcdef".into(),
        issued_at,
        expires_at,
        key: String::new(),
    };
    let fleet = order(Target::Fleet, NOW - 3_600, NOW + DEFAULT_VALIDITY_SECS);
    let one = order(
        Target::Installation("fedcba9876543210fedcba9876543210".into()),
        NOW - 60,
        NOW - 60 + MAX_VALIDITY_SECS,
    );
    let expired = order(Target::Fleet, NOW - 7_200, NOW - 1);
    let json = serde_json::to_vec(&Order {
        key: key.to_base64(),
        ..fleet.clone()
    })
    .unwrap();
    vec![
        ("fleet.txt", sign(&fleet, &pkcs8).unwrap().into_bytes()),
        ("installation.txt", sign(&one, &pkcs8).unwrap().into_bytes()),
        ("expired.txt", sign(&expired, &pkcs8).unwrap().into_bytes()),
        ("order.json", json),
    ]
}

#[test]
fn the_fuzz_body_holds_for_the_seeds() {
    use super::command::fuzzing::{key_of, wipe_command, NOW, TEST_SEED};
    let (_, key) = key_of(&TEST_SEED).unwrap();
    for (name, seed) in fuzz_seeds() {
        wipe_command(&seed);
        let text = String::from_utf8(seed).unwrap();
        let verdict = verify(&text, &[key], NOW);
        match name {
            "expired.txt" => assert_eq!(verdict, Err(WipeError::Expired)),
            "order.json" => assert!(verdict.is_err()),
            _ => assert_eq!(verdict.unwrap().key, key.to_base64(), "{name}"),
        }
    }
    for text in ["", "WCW1:", "WCW1:.", " WCW1:e30.AA ", "{}", "\u{0}"] {
        wipe_command(text.as_bytes());
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    #[test]
    fn the_fuzz_body_survives_random_input(
        b in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
    ) {
        super::command::fuzzing::wipe_command(&b);
        // Behind the prefix, random bytes reach the base64 and signature checks.
        super::command::fuzzing::wipe_command(&[CODE_PREFIX.as_bytes(), &b].concat());
    }

    #[test]
    fn the_fuzz_body_survives_damaged_seeds(
        which in proptest::prelude::any::<proptest::sample::Index>(),
        flips in proptest::collection::vec(
            (proptest::prelude::any::<proptest::sample::Index>(), 1u8..=255),
            0..4,
        ),
        cut in proptest::prelude::any::<proptest::sample::Index>(),
    ) {
        let seeds = fuzz_seeds();
        let mut bytes = seeds[which.index(seeds.len())].1.clone();
        for (at, x) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= x;
        }
        super::command::fuzzing::wipe_command(&bytes);
        super::command::fuzzing::wipe_command(&bytes[..cut.index(bytes.len() + 1)]);
    }
}

/// Writes the `wipe_command` fuzz target's seeds:
/// `cargo test -p wardcam-core --lib wipe::tests::write_fuzz_corpus -- --ignored`.
#[test]
#[ignore = "writes fuzz/corpus/wipe_command"]
fn write_fuzz_corpus() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/wipe_command");
    fs::create_dir_all(&dir).unwrap();
    for (name, seed) in fuzz_seeds() {
        fs::write(dir.join(name), seed).unwrap();
    }
}

// ---- admission: refused commands wipe nothing -----------------------------------------------------

#[test]
fn commands_for_another_trust_phone_or_time_are_refused_and_wipe_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let keys = MemoryKeyStore::new();
    let name = vault_with_items(&dir, &keys, 3);
    let s = signer();
    let authority = s.authority();

    let other_trust = {
        let order = Order::new("RX9", Target::Fleet, NOW, 60).unwrap();
        sign(&order, &s.pkcs8).unwrap()
    };
    let other_phone = s.code(Target::Installation("0".repeat(32)), NOW);
    let refusals = [
        (other_trust, "wipe.other_trust"),
        (other_phone, "wipe.not_this_phone"),
        (signer().fleet(), "wipe.unknown_key"),
        (
            s.code(Target::Fleet, NOW - 2 * DEFAULT_VALIDITY_SECS),
            "wipe.expired",
        ),
    ];
    for (code, want) in &refusals {
        assert_eq!(
            admit_code(&dir, code, &authority, NOW).unwrap_err().code(),
            *want
        );
    }
    // Nothing was touched: the vault opens with every item, and there is no wipe record.
    let vault = Vault::open(&dir, &keys).unwrap();
    assert_eq!(vault.list().unwrap().len(), 3);
    drop(vault);
    assert_eq!(report(&dir).unwrap(), None);
    assert!(keys.load(&name).unwrap().is_some());

    // No policy in force: no authority to check against.
    assert_eq!(
        Authority::of(None, &[s.public]).unwrap_err(),
        WipeError::NotProvisioned
    );
}

#[test]
fn a_command_for_this_installation_is_admitted_and_never_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let keys = MemoryKeyStore::new();
    let name = vault_with_items(&dir, &keys, 2);
    assert_eq!(
        installation_id(&dir).unwrap().as_deref(),
        Some(name.as_str())
    );
    let s = signer();
    let code = s.code(Target::Installation(name.clone()), NOW);
    let older = s.code(Target::Fleet, NOW - 60);
    let admitted = admit_code(&dir, &code, &s.authority(), NOW).unwrap();
    assert_eq!(admitted.source(), WipeSource::SignedCommand);
    let report = wipe(&dir, &keys, &admitted, Timestamp(NOW * 1000)).unwrap();
    assert_eq!(report.items, 2);
    assert_eq!(report.installation.as_deref(), Some(name.as_str()));

    // The same command again: refused (the installation is gone too, but the nonce decides).
    let fresh = vault_with_items(&dir, &keys, 1);
    assert_ne!(fresh, name);
    acknowledge(&dir).unwrap();
    let fleet_again = s.code(Target::Installation(fresh.clone()), NOW);
    assert_eq!(
        admit_code(&dir, &code, &s.authority(), NOW).unwrap_err(),
        WipeError::Replayed
    );
    // A fleet command issued before the applied one: refused as replayed.
    assert_eq!(
        admit_code(&dir, &older, &s.authority(), NOW).unwrap_err(),
        WipeError::Replayed
    );
    // A new command for the new installation, applied once, then refused.
    let admitted = admit_code(&dir, &fleet_again, &s.authority(), NOW + 1);
    // Issued in the same second as the last one applied: an equal time is not newer.
    assert_eq!(admitted.unwrap_err(), WipeError::Replayed);
    let newer = s.code(Target::Installation(fresh), NOW + 5);
    let admitted = admit_code(&dir, &newer, &s.authority(), NOW + 6).unwrap();
    wipe(&dir, &keys, &admitted, Timestamp(NOW * 1000 + 7_000)).unwrap();
    assert_eq!(
        admit_code(&dir, &newer, &s.authority(), NOW + 7).unwrap_err(),
        WipeError::Replayed
    );
}

// ---- the wipe ----------------------------------------------------------------------------------

#[test]
fn a_wipe_leaves_no_openable_item_no_key_and_keeps_the_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let keys = MemoryKeyStore::new();
    let name = vault_with_items(&dir, &keys, 5);
    let gate = format!("{name}{GATE_SUFFIX}");
    keys.save_secret(&gate, b"gate record").unwrap();
    keys.save_secret("wardcam.0123.policy", b"the policy")
        .unwrap();
    fs::create_dir_all(crate::audit::audit_dir(&dir)).unwrap();
    fs::write(crate::audit::audit_dir(&dir).join("chain.log"), b"sealed\n").unwrap();
    // What a thief copied before the wipe.
    let copy = tmp.path().join("copy");
    copy_dir(&dir, &copy);

    let admitted = admit_managed(&dir, Some("lost-2026-12-01"))
        .unwrap()
        .unwrap();
    assert_eq!(admitted.source(), WipeSource::Mdm);
    let report = wipe(&dir, &keys, &admitted, Timestamp(5_000)).unwrap();
    assert!(report.finished());
    assert_eq!(report.items, 5);
    assert_eq!(report.source, WipeSource::Mdm);
    assert_eq!(report.started_at, 5_000);
    assert!(report.request.starts_with("mdm:"));
    assert!(
        !report.request.contains("lost"),
        "the MDM value is kept only as a digest"
    );

    // The folder holds the record alone; no vault opens from it or from the copy.
    only_the_record_left(&dir);
    assert_eq!(Vault::open(&dir, &keys).unwrap_err(), VaultError::NoVault);
    assert_eq!(
        Vault::open(&copy, &keys).unwrap_err(),
        VaultError::KeyUnavailable
    );
    // The master key and the gate record are gone; the policy stays.
    assert!(keys.load(&name).unwrap().is_none());
    assert!(keys.load_secret(&gate).unwrap().is_none());
    assert_eq!(
        &keys.load_secret("wardcam.0123.policy").unwrap().unwrap()[..],
        b"the policy"
    );
    // The report names no patient and holds nothing but the wipe's facts.
    let text = fs::read_to_string(dir.join(RECORD_FILE)).unwrap();
    assert!(!text.contains("9434765919") && !text.contains("SMITH"));

    // MDM keeps its value: the same request is not applied again; a new one is.
    assert_eq!(admit_managed(&dir, Some("lost-2026-12-01")).unwrap(), None);
    assert_eq!(admit_managed(&dir, Some("  ")).unwrap(), None);
    assert_eq!(admit_managed(&dir, None).unwrap(), None);
    assert!(admit_managed(&dir, Some("lost-again")).unwrap().is_some());
}

#[test]
fn a_wipe_destroys_the_outbound_store_and_its_delivery_key() {
    // Parcels packed to go while locked (delivery.send_while_locked): sealed under their own
    // delivery key in `outbound/`, which a wipe must leave as unreadable as the vault.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let keys = MemoryKeyStore::new();
    let name = vault_with_items(&dir, &keys, 2);
    let outbound = dir.join(crate::visit::OUTBOUND_DIR);
    let delivery = vault_with_items(&outbound, &keys, 3);
    let copy = tmp.path().join("copy");
    copy_dir(&dir, &copy);

    let admitted = admit_managed(&dir, Some("lost-outbound")).unwrap().unwrap();
    let report = wipe(&dir, &keys, &admitted, Timestamp(5_000)).unwrap();
    assert!(report.finished());
    only_the_record_left(&dir);
    assert!(keys.load(&name).unwrap().is_none());
    assert!(
        keys.load(&delivery).unwrap().is_none(),
        "the delivery key outlived the wipe"
    );
    // What a thief copied before the wipe opens no parcel either.
    assert_eq!(
        Vault::open(&copy.join(crate::visit::OUTBOUND_DIR), &keys).unwrap_err(),
        VaultError::KeyUnavailable
    );
}

#[test]
fn a_wipe_on_a_phone_never_set_up_records_nothing_shredded() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let keys = MemoryKeyStore::new();
    let admitted = admit_managed(&dir, Some("x")).unwrap().unwrap();
    let report = wipe(&dir, &keys, &admitted, Timestamp(1)).unwrap();
    assert_eq!((report.items, report.installation), (0, None));
    only_the_record_left(&dir);
}

/// A keystore that refuses removals until told otherwise: a wipe interrupted between destroying
/// the item keys and removing the master key.
#[derive(Debug, Default)]
struct Stubborn {
    inner: MemoryKeyStore,
    refuse: std::sync::atomic::AtomicBool,
}

impl KeyStore for Stubborn {
    fn load(&self, name: &str) -> Result<Option<crate::vault::hazmat::MasterKey>, VaultError> {
        self.inner.load(name)
    }
    fn save(&self, name: &str, key: &crate::vault::hazmat::MasterKey) -> Result<(), VaultError> {
        self.inner.save(name, key)
    }
    fn remove(&self, name: &str) -> Result<(), VaultError> {
        if self.refuse.load(Ordering::SeqCst) {
            return Err(VaultError::KeystoreLocked {
                reason: "locked".into(),
            });
        }
        self.inner.remove(name)
    }
}

#[test]
fn a_wipe_stopped_after_each_step_finishes_and_is_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let keys = Stubborn::default();
    let name = vault_with_items(&dir, &keys, 4);
    let copy = tmp.path().join("copy");
    copy_dir(&dir, &copy);

    // Begun, then stopped: recorded, nothing destroyed yet, and it says it is unfinished.
    let admitted = admit_managed(&dir, Some("go")).unwrap().unwrap();
    let begun = begin(&dir, &keys, &admitted, Timestamp(10)).unwrap();
    assert!(!begun.finished());
    assert_eq!(report(&dir).unwrap().unwrap(), begun);

    // Item keys destroyed, then the keystore refused: an error, and already nothing opens.
    keys.refuse.store(true, Ordering::SeqCst);
    assert_eq!(
        finish(&dir, &keys, Timestamp(20)).unwrap_err().code(),
        "vault.keystore_locked"
    );
    let vault = Vault::open(&dir, &keys).unwrap();
    assert!(
        vault.list().unwrap().is_empty(),
        "every item key is destroyed"
    );
    drop(vault);
    assert!(!report(&dir).unwrap().unwrap().finished());

    // The next start finishes it.
    keys.refuse.store(false, Ordering::SeqCst);
    let done = finish(&dir, &keys, Timestamp(30)).unwrap().unwrap();
    assert_eq!(done.finished_at, Some(30));
    assert_eq!(done.items, 4, "counted when it began");
    only_the_record_left(&dir);
    assert!(keys.load(&name).unwrap().is_none());
    assert_eq!(
        Vault::open(&copy, &keys).unwrap_err(),
        VaultError::KeyUnavailable
    );

    // Again: nothing changes.
    let again = finish(&dir, &keys, Timestamp(40)).unwrap().unwrap();
    assert_eq!(again, done);
    only_the_record_left(&dir);

    // Files half removed (a kill in step 5): the rest goes at the next finish.
    let mut record: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join(RECORD_FILE)).unwrap()).unwrap();
    record["last"]["finished_at"] = serde_json::Value::Null;
    fs::write(dir.join(RECORD_FILE), serde_json::to_vec(&record).unwrap()).unwrap();
    fs::create_dir_all(dir.join("blobs")).unwrap();
    fs::write(dir.join("blobs/left.wcv"), b"ciphertext").unwrap();
    assert!(finish(&dir, &keys, Timestamp(50))
        .unwrap()
        .unwrap()
        .finished());
    only_the_record_left(&dir);
}

#[test]
fn a_damaged_record_fails_closed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(RECORD_FILE), b"{not json").unwrap();
    assert_eq!(report(&dir).unwrap_err(), WipeError::RecordDamaged);
    assert_eq!(
        admit_managed(&dir, Some("x")).unwrap_err(),
        WipeError::RecordDamaged
    );
}

// ---- crashes ------------------------------------------------------------------------------------

const CRASH_ENV: &str = "WARDCAM_WIPE_CRASH_ROOT";
const READY: &str = "WIPE-CHILD-READY";

/// The child side of the crash campaign: wipes its vault until killed. Does nothing unless
/// re-executed by `a_wipe_killed_at_random_moments_finishes_at_the_next_start`.
#[test]
fn wipe_crash_child() {
    let Some(root) = std::env::var_os(CRASH_ENV) else {
        return;
    };
    let root = PathBuf::from(root);
    let keys = FileKeyStore(root.join("keys"));
    let dir = root.join("vault");
    eprintln!("{READY}");
    let admitted = admit_managed(&dir, Some("crash")).unwrap().unwrap();
    wipe(&dir, &keys, &admitted, Timestamp(1)).unwrap();
    // Stay alive to be killed: the campaign requires every child to die by SIGKILL.
    loop {
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(unix)]
#[test]
fn a_wipe_killed_at_random_moments_finishes_at_the_next_start() {
    let mut r: u64 = 0x2545_f491_4f6c_dd1d ^ u64::from(std::process::id());
    let (mut begun_only, mut untouched, mut finished) = (0, 0, 0);
    for _ in 0..12 {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let keys = FileKeyStore(root.join("keys"));
        let dir = root.join("vault");
        let name = vault_with_items(&dir, &keys, 40);
        crate::crash_child::kill_at_random_moment(
            "wipe::tests::wipe_crash_child",
            &[(CRASH_ENV, root)],
            READY,
            r,
            Duration::from_millis(30),
            Duration::from_millis(40),
        );
        // The next start.
        match report(&dir).unwrap() {
            None => {
                // Killed before the wipe began: nothing was destroyed.
                untouched += 1;
                let vault = Vault::open(&dir, &keys).unwrap();
                assert_eq!(vault.list().unwrap().len(), 40);
            }
            Some(r) => {
                if r.finished() {
                    finished += 1;
                } else {
                    begun_only += 1;
                }
                let done = finish(&dir, &keys, Timestamp(2)).unwrap().unwrap();
                assert!(done.finished());
                assert_eq!(done.items, 40);
                only_the_record_left(&dir);
                assert!(keys.load(&name).unwrap().is_none());
            }
        }
    }
    eprintln!("wipe kills: {untouched} before, {begun_only} midway, {finished} after");
}

// ---- the ward ----------------------------------------------------------------------------------

#[derive(Debug, Default)]
struct TestClock {
    wall: AtomicU64,
}

impl Clock for TestClock {
    fn session(&self) -> Millis {
        Millis(0)
    }
    fn wall(&self) -> Timestamp {
        Timestamp(NOW * 1000 + self.wall.fetch_add(1, Ordering::SeqCst))
    }
}

#[derive(Debug)]
struct Space;

impl Storage for Space {
    fn available(&self, _: &Path) -> Option<u64> {
        None
    }
}

fn gated_ward(dir: &Path, keys: Arc<dyn KeyStore>) -> Ward {
    let ward = Ward::with(
        SessionPolicy {
            idle_timeout_ms: 600_000,
            allow_development_unlock: false,
        },
        Arc::new(TestClock::default()),
        Arc::new(Space),
    );
    ward.use_key_gate(dir.to_path_buf(), KeyGate::new(keys))
        .unwrap();
    ward
}

fn pin() -> Zeroizing<String> {
    Zeroizing::new(PIN.to_owned())
}

/// A ward set up, with a patient consented and two photos taken: unlocked.
fn ward_with_photos(dir: &Path, keys: Arc<dyn KeyStore>) -> Ward {
    let ward = gated_ward(dir, keys);
    ward.set_up(&pin(), "Dr A Jones").unwrap();
    ward.identify(candidate(BAND)).unwrap();
    ward.confirm().unwrap();
    ward.record_consent(verbal()).unwrap();
    ward.start_capture().unwrap();
    ward.capture(&jpeg(1), Purpose::Care).unwrap();
    ward.capture(&jpeg(2), Purpose::Care).unwrap();
    ward
}

fn ward_wipes_while_unlocked(keys: Arc<dyn KeyStore>) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let ward = ward_with_photos(&dir, keys.clone());
    let name = ward.installation_id().unwrap().unwrap();
    let items = ward.vault().unwrap().list().unwrap().len() as u64;
    let head = ward.audit_status().unwrap().unwrap().head;
    let s = signer();
    let code = s.code(Target::Installation(name.clone()), NOW);
    let authority = s.authority();

    // A forged one first: refused, and the ward carries on unlocked with its photos.
    let forged = signer().code(Target::Installation(name.clone()), NOW);
    let refused = ward.wipe(WipeRequest::Code {
        code: &forged,
        authority: &authority,
        now: NOW,
    });
    assert_eq!(refused.unwrap_err().code(), "wipe.unknown_key");
    assert_eq!(ward.photos().unwrap().len(), 2);

    let report = ward
        .wipe(WipeRequest::Code {
            code: &code,
            authority: &authority,
            now: NOW,
        })
        .unwrap()
        .unwrap();
    assert!(report.finished());
    assert_eq!(report.items, items);
    assert_eq!(report.source, WipeSource::SignedCommand);
    // The wipe's entry joined the chain right after its head, and survives in the report.
    let entry = report.audit.clone().expect("the chain was open");
    assert_eq!(
        entry.event,
        Event::Wiped {
            source: "signed_command".into(),
            items
        }
    );
    assert_eq!(entry.seq, head.seq + 1);
    assert_eq!(entry.prev, head.hash);

    // Locked, nothing in memory, no vault, no key; unlocking says why.
    assert_eq!(ward.vault().unwrap_err().code(), "session.locked");
    assert!(ward.photos().map_or(true, |p| p.is_empty()));
    assert_eq!(ward.status().unwrap().photos, 0);
    only_the_record_left(&dir);
    assert!(keys.load(&name).unwrap().is_none());
    assert!(keys
        .load_secret(&format!("{name}{GATE_SUFFIX}"))
        .unwrap()
        .is_none());
    assert_eq!(
        ward.unlock_with_pin(&pin()).unwrap_err().code(),
        "wipe.wiped"
    );
    assert_eq!(
        ward.set_up(&pin(), "Dr B Smith").unwrap_err().code(),
        "wipe.wiped"
    );
    assert_eq!(ward.wipe_report().unwrap().unwrap(), report);

    // Replayed: refused, even after a new set-up.
    ward.acknowledge_wipe().unwrap();
    ward.set_up(&pin(), "Dr B Smith").unwrap();
    let again = ward.wipe(WipeRequest::Code {
        code: &code,
        authority: &authority,
        now: NOW,
    });
    assert!(matches!(
        again.unwrap_err(),
        Error::Wipe(WipeError::NotThisPhone | WipeError::Replayed)
    ));
    let fleet_replay = s.code(Target::Fleet, NOW);
    // A fleet command issued in the same second as the applied one is not newer: replayed.
    assert_eq!(
        ward.wipe(WipeRequest::Code {
            code: &fleet_replay,
            authority: &authority,
            now: NOW,
        })
        .unwrap_err()
        .code(),
        "wipe.replayed"
    );
    assert!(ward.vault().is_ok(), "the new vault is untouched");
    let new_name = ward.installation_id().unwrap().unwrap();
    assert!(keys
        .load_secret(&format!("{new_name}{GATE_SUFFIX}"))
        .unwrap()
        .is_some());
    drop(ward);
    // Tidy the real keystore.
    let _ = keys.remove(&format!("{new_name}{GATE_SUFFIX}"));
}

#[test]
fn the_ward_wipes_while_unlocked_and_audits_it() {
    ward_wipes_while_unlocked(Arc::new(MemoryKeyStore::new()));
}

#[test]
fn the_ward_wipes_while_locked_and_on_mdm_at_start() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let keys: Arc<dyn KeyStore> = Arc::new(MemoryKeyStore::new());
    let ward = ward_with_photos(&dir, keys.clone());
    let name = ward.installation_id().unwrap().unwrap();
    drop(ward);
    // The next start, locked, MDM asks.
    let ward = gated_ward(&dir, keys.clone());
    assert_eq!(ward.wipe_at_start(None).unwrap(), None);
    let report = ward.wipe_at_start(Some("lost")).unwrap().unwrap();
    assert!(report.finished());
    assert!(report.items >= 2);
    assert_eq!(report.audit, None, "the chain's key was shut in the vault");
    only_the_record_left(&dir);
    assert!(keys.load(&name).unwrap().is_none());
    // MDM still says the same: nothing more happens at the next start.
    let ward = gated_ward(&dir, keys);
    assert_eq!(ward.wipe_at_start(Some("lost")).unwrap().unwrap(), report);
    assert_eq!(
        ward.unlock_with_pin(&pin()).unwrap_err().code(),
        "wipe.wiped"
    );
}

#[test]
fn an_unfinished_wipe_blocks_unlock_until_the_next_start_finishes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let keys: Arc<dyn KeyStore> = Arc::new(MemoryKeyStore::new());
    drop(ward_with_photos(&dir, keys.clone()));
    let admitted = admit_managed(&dir, Some("x")).unwrap().unwrap();
    begin(&dir, keys.as_ref(), &admitted, Timestamp(1)).unwrap();
    let ward = gated_ward(&dir, keys.clone());
    assert_eq!(
        ward.unlock_with_pin(&pin()).unwrap_err().code(),
        "wipe.unfinished"
    );
    let report = ward.wipe_at_start(Some("x")).unwrap().unwrap();
    assert!(report.finished());
    only_the_record_left(&dir);
}

/// Against the real Secret Service (`scripts/with-keyring`): the key and gate record are gone
/// from it after the wipe. Says why it skips otherwise.
#[cfg(target_os = "linux")]
#[test]
fn the_ward_wipes_the_key_from_the_secret_service() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        eprintln!(
            "skipped the_ward_wipes_the_key_from_the_secret_service: no session bus; run \
             `scripts/with-keyring cargo test -p wardcam-core --lib -- wipe`"
        );
        return;
    }
    let keys = crate::vault::KeyringKeyStore::linux_secret_service().unwrap();
    ward_wipes_while_unlocked(Arc::new(keys));
}

#[test]
fn the_mdm_key_is_declared_and_a_policy_carrying_it_is_not_refused() {
    assert!(crate::policy::MANAGED_KEYS
        .iter()
        .any(|k| k.name == MANAGED_KEY));
    let values = serde_json::json!({
        "policy_version": 3,
        "trust_name": "Test Trust",
        "trust_ods_code": "RX1",
        MANAGED_KEY: "lost-2026-12-01",
    });
    let policy = crate::policy::Policy::from_managed(&values).unwrap();
    assert_eq!(policy.version, 3);
    // The request is not part of the policy: the kept policy never carries it.
    let json = String::from_utf8(policy.canonical_json().unwrap()).unwrap();
    assert!(!json.contains("lost-2026"));
    // The `policy_managed` fuzz body holds with the key (its seed `managed_remote_wipe.json`).
    crate::policy::fuzzing::managed_config(&serde_json::to_vec(&values).unwrap());
    let seed = fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/corpus/policy_managed/managed_remote_wipe.json"),
    )
    .unwrap();
    let seeded: serde_json::Value = serde_json::from_slice(&seed).unwrap();
    assert!(seeded.get(MANAGED_KEY).is_some());
    assert!(crate::policy::Policy::from_managed(&seeded).is_ok());
    crate::policy::fuzzing::managed_config(&seed);
}
