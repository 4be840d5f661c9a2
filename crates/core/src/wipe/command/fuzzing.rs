//! The body of the `wipe_command` fuzz target (`fuzz/fuzz_targets/wipe_command.rs`), kept beside
//! the reader so it can sign raw order bytes in the command's own signing context, and so unit
//! tests run it too (`wipe::tests::the_fuzz_body_*`).
//!
//! A fuzzer cannot forge an Ed25519 signature, so three readings of each input reach past it:
//! the input as a command checked against a fixed test key (its seeds are commands genuinely
//! signed with that key, which the fuzzer mutates), the input as an order's JSON that the body
//! signs itself (into the order's own checks), and an order built from the input, signed with
//! `sign`, then damaged by edits the input also chooses.

use base64::Engine;
use ring::signature::{Ed25519KeyPair, UnparsedPublicKey, ED25519};

use super::{
    b64, read_order, sign, signed_message, split, verify, Order, Target, CODE_PREFIX,
    MAX_VALIDITY_SECS,
};
use crate::policy::ProvisioningKey;
use crate::wipe::WipeError;

/// The moment every command is checked at (2027-01-15 08:00 UTC): the seeds are valid then.
pub const NOW: u64 = 1_800_000_000;

/// The seed of the fixed test key. A published test key: nothing real trusts it.
pub const TEST_SEED: [u8; 32] = [0x57; 32];

/// The seed of a second key that signs nothing here: a command accepted under the test key must
/// be refused under this one.
const OTHER_SEED: [u8; 32] = [0x58; 32];

/// What precedes the 32-byte seed in an Ed25519 private key's PKCS#8 v1 document (RFC 8410), the
/// form `sign` takes.
const PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// The most edits one input makes to a signed command (each costs a signature check).
const MAX_EDITS: usize = 16;

/// The PKCS#8 document of the key with `seed`, and its public key.
pub fn key_of(seed: &[u8; 32]) -> Option<(Vec<u8>, ProvisioningKey)> {
    let pkcs8 = [PKCS8_V1_PREFIX.as_slice(), seed].concat();
    let key = crate::policy::payload::public_key(&pkcs8).ok()?;
    Some((pkcs8, key))
}

/// Reads `data` three ways (see the module's comment). Panics only if an invariant breaks:
///
/// - reading is deterministic, and `verify` with no trusted key refuses before reading;
/// - a command accepted under the test key carries the test key's signature over its order, names
///   that key, is valid now and for at most 7 days, reads the same through `read_order`, and is
///   refused under another key (as unknown) and once expired;
/// - raw order bytes signed with the test key are accepted only if they are an order naming that
///   key, and then read as exactly that order; refused only as malformed, expired or naming
///   another key;
/// - a genuinely signed order verifies, and any damaged copy of it that is still accepted reads
///   as exactly the signed order.
pub fn wipe_command(data: &[u8]) {
    let (Some((pkcs8, key)), Some((_, other))) = (key_of(&TEST_SEED), key_of(&OTHER_SEED)) else {
        return;
    };
    as_command(data, key, other);
    as_signed_order(data, key);
    damaged_real_command(data, &pkcs8, key);
}

/// Whether `code`'s signature holds over its order under `key`, checked directly with ring.
fn signed_by(code: &str, key: ProvisioningKey) -> bool {
    let Ok((json, signature_b64)) = split(code) else {
        return false;
    };
    let Ok(signature) = b64().decode(signature_b64) else {
        return false;
    };
    UnparsedPublicKey::new(&ED25519, key.0)
        .verify(&signed_message(&json), &signature)
        .is_ok()
}

fn as_command(data: &[u8], key: ProvisioningKey, other: ProvisioningKey) {
    let text = String::from_utf8_lossy(data);
    let verdict = verify(&text, &[key], NOW);
    assert_eq!(
        verdict,
        verify(&text, &[key], NOW),
        "verify is not deterministic"
    );
    let read = read_order(&text);
    assert_eq!(read, read_order(&text), "read_order is not deterministic");
    assert_eq!(
        verify(&text, &[], NOW),
        Err(WipeError::NoProvisioningKeys),
        "read with no trusted key"
    );
    let Ok(order) = verdict else { return };
    assert!(
        signed_by(&text, key),
        "accepted without the key's signature"
    );
    assert_eq!(
        read.as_ref(),
        Ok(&order),
        "read_order disagrees with verify"
    );
    assert_eq!(
        ProvisioningKey::parse(&order.key),
        Some(key),
        "names another key"
    );
    assert!(order.check_shape().is_ok(), "accepted with a bad shape");
    assert!(
        order.issued_at <= order.expires_at
            && order.expires_at - order.issued_at <= MAX_VALIDITY_SECS
            && NOW <= order.expires_at,
        "accepted outside its validity"
    );
    assert_eq!(
        verify(&text, &[other], NOW),
        Err(WipeError::UnknownKey),
        "not refused as unknown under another key"
    );
    assert_eq!(
        verify(&text, &[other, key], NOW).as_ref(),
        Ok(&order),
        "refused beside another trusted key"
    );
    assert_eq!(
        verify(&text, &[key], order.expires_at.saturating_add(1)),
        if order.expires_at == u64::MAX {
            Ok(order.clone())
        } else {
            Err(WipeError::Expired)
        },
        "accepted after it expired"
    );
}

fn as_signed_order(data: &[u8], key: ProvisioningKey) {
    let Ok(pair) = Ed25519KeyPair::from_seed_unchecked(&TEST_SEED) else {
        return;
    };
    let code = format!(
        "{CODE_PREFIX}{}.{}",
        b64().encode(data),
        b64().encode(pair.sign(&signed_message(data)).as_ref())
    );
    let verdict = verify(&code, &[key], NOW);
    assert_eq!(
        verdict,
        verify(&code, &[key], NOW),
        "verify is not deterministic"
    );
    let parsed = serde_json::from_slice::<Order>(data).ok();
    match verdict {
        Ok(order) => {
            assert_eq!(
                parsed.as_ref(),
                Some(&order),
                "not the order that was signed"
            );
            assert_eq!(
                ProvisioningKey::parse(&order.key),
                Some(key),
                "names another key"
            );
            assert!(order.check_shape().is_ok(), "accepted with a bad shape");
            assert!(NOW <= order.expires_at, "accepted after it expired");
        }
        Err(WipeError::Malformed { .. }) => {}
        Err(WipeError::BadSignature) => assert!(
            parsed.is_some_and(|o| ProvisioningKey::parse(&o.key) != Some(key)),
            "a signed order refused as altered"
        ),
        Err(WipeError::Expired) => assert!(
            parsed.is_some_and(|o| o.expires_at < NOW),
            "an unexpired order refused as expired"
        ),
        Err(e) => panic!("a signed order refused as {}", e.code()),
    }
}

/// The input read as a stream of bytes, zeros once it runs out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let Some((&b, rest)) = self.0.split_first() else {
            return 0;
        };
        self.0 = rest;
        b
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    fn hex(&mut self, bytes: usize) -> String {
        (0..bytes).map(|_| format!("{:02x}", self.byte())).collect()
    }
}

/// An order chosen by the input: always well formed and valid at [`NOW`].
fn order_from(input: &mut Bytes<'_>) -> Order {
    const ODS: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let len = usize::from(input.byte() % 10) + 1;
    let ods_code = (0..len)
        .map(|_| char::from(ODS[usize::from(input.byte()) % ODS.len()]))
        .collect();
    let target = if input.byte().is_multiple_of(2) {
        Target::Fleet
    } else {
        Target::Installation(input.hex(16))
    };
    let half = MAX_VALIDITY_SECS / 2 + 1;
    let age = u64::from(input.u32()) % half;
    let left = u64::from(input.u32()) % half;
    Order {
        ods_code,
        target,
        nonce: input.hex(16),
        issued_at: NOW - age,
        expires_at: NOW + left,
        key: String::new(),
    }
}

fn damaged_real_command(data: &[u8], pkcs8: &[u8], key: ProvisioningKey) {
    let mut input = Bytes(data);
    let order = order_from(&mut input);
    let Ok(code) = sign(&order, pkcs8) else {
        panic!("a well-formed order could not be signed");
    };
    let signed = Order {
        key: key.to_base64(),
        ..order
    };
    assert_eq!(
        verify(&code, &[key], NOW).as_ref(),
        Ok(&signed),
        "a signed order does not verify as itself"
    );
    let mut damaged = code.into_bytes();
    for _ in 0..MAX_EDITS {
        if input.0.is_empty() {
            break;
        }
        let (how, byte) = (input.byte(), input.byte());
        let at = usize::from(u16::from_le_bytes([input.byte(), input.byte()]));
        let at = at % (damaged.len() + 1);
        match how % 4 {
            0 if at < damaged.len() => damaged[at] = byte,
            1 => damaged.insert(at, byte),
            2 if at < damaged.len() => {
                damaged.remove(at);
            }
            _ => damaged.truncate(at),
        }
        let text = String::from_utf8_lossy(&damaged);
        if let Ok(accepted) = verify(&text, &[key], NOW) {
            assert_eq!(accepted, signed, "a damaged command reads as another order");
        }
    }
}
