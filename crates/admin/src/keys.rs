//! The provisioning key pair on disk: `provisioning.key` (the PKCS#8 Ed25519 private key, DER,
//! mode 0600) and `provisioning.pub` (the public key, base64, one line). Private key bytes live
//! only in buffers wiped on drop.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use wardcam_core::policy::{payload, ProvisioningKey};
use zeroize::Zeroizing;

use crate::Failure;

/// The private key's file name in `keygen --out DIR`.
pub const PRIVATE_FILE: &str = "provisioning.key";
/// The public key's file name in `keygen --out DIR`.
pub const PUBLIC_FILE: &str = "provisioning.pub";

/// The largest key file read: a PKCS#8 Ed25519 key is under 200 bytes, even as PEM.
const MAX_KEY_FILE_BYTES: u64 = 16 * 1024;

/// Makes a key pair in `dir` (created if missing) and returns the public key and both paths.
/// Refuses to replace either file.
pub fn keygen(dir: &Path) -> Result<(ProvisioningKey, PathBuf, PathBuf), Failure> {
    std::fs::create_dir_all(dir).map_err(|e| Failure::io(dir, &e))?;
    let private = dir.join(PRIVATE_FILE);
    let public = dir.join(PUBLIC_FILE);
    for path in [&private, &public] {
        if path.symlink_metadata().is_ok() {
            return Err(Failure::refused(format!(
                "{} already exists; a provisioning key is never overwritten (the phones trust the old one). \
                 Choose another --out directory, or move the old key away first.",
                path.display()
            )));
        }
    }
    let (pkcs8, key) = payload::generate_key_pair().map_err(Failure::policy)?;
    write_new(&private, &pkcs8, true)?;
    write_new(&public, format!("{}\n", key.to_base64()).as_bytes(), false)?;
    Ok((key, private, public))
}

/// Creates `path` (never replacing a file): mode 0600 if `secret`.
fn write_new(path: &Path, bytes: &[u8], secret: bool) -> Result<(), Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path).map_err(|e| Failure::io(path, &e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| Failure::io(path, &e))
}

/// Reads a private key: the DER that `keygen` writes, or a PEM `PRIVATE KEY` (as
/// `openssl genpkey -algorithm ed25519` writes). Returns the PKCS#8 bytes and the public key.
pub fn read_private(path: &Path) -> Result<(Zeroizing<Vec<u8>>, ProvisioningKey), Failure> {
    let size = std::fs::metadata(path)
        .map_err(|e| Failure::io(path, &e))?
        .len();
    if size > MAX_KEY_FILE_BYTES {
        return Err(Failure::refused(format!(
            "{} is not a provisioning private key (too large)",
            path.display()
        )));
    }
    let raw = Zeroizing::new(std::fs::read(path).map_err(|e| Failure::io(path, &e))?);
    let pkcs8 = match pem_body(&raw) {
        Some(body) => {
            let mut der = Zeroizing::new(Vec::with_capacity(body.len()));
            base64::engine::general_purpose::STANDARD
                .decode_vec(body.as_bytes(), &mut der)
                .map_err(|_| {
                    Failure::refused(format!("{}: the PEM key is not base64", path.display()))
                })?;
            der
        }
        None => raw,
    };
    let key = payload::public_key(&pkcs8).map_err(|_| {
        Failure::refused(format!(
            "{} is not a provisioning private key: it must be a PKCS#8 Ed25519 key (DER or PEM), as `wardcam-admin keygen` writes it",
            path.display()
        ))
    })?;
    warn_if_readable_by_others(path);
    Ok((pkcs8, key))
}

/// The base64 inside `-----BEGIN PRIVATE KEY-----`, without line breaks, if `raw` is PEM.
fn pem_body(raw: &[u8]) -> Option<Zeroizing<String>> {
    let text = std::str::from_utf8(raw).ok()?;
    let start = text.find("-----BEGIN PRIVATE KEY-----")? + "-----BEGIN PRIVATE KEY-----".len();
    let end = start + text[start..].find("-----END PRIVATE KEY-----")?;
    let mut body = Zeroizing::new(String::with_capacity(end - start));
    body.extend(text[start..end].chars().filter(|c| !c.is_whitespace()));
    Some(body)
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            eprintln!(
                "warning: {} can be read by other users; keep it mode 0600 (chmod 600).",
                path.display()
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// Reads a public key file: base64 of the 32-byte key on one line (`provisioning.pub`).
pub fn read_public(path: &Path) -> Result<ProvisioningKey, Failure> {
    let size = std::fs::metadata(path)
        .map_err(|e| Failure::io(path, &e))?
        .len();
    let text = if size > MAX_KEY_FILE_BYTES {
        String::new()
    } else {
        std::fs::read_to_string(path).map_err(|e| Failure::io(path, &e))?
    };
    ProvisioningKey::parse(text.trim()).ok_or_else(|| {
        Failure::refused(format!(
            "{} is not a provisioning public key: it must hold base64 of a 32-byte Ed25519 key, as `wardcam-admin keygen` writes it",
            path.display()
        ))
    })
}
