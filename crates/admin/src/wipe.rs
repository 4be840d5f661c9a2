//! `wardcam-admin wipe`: a signed remote-wipe command (`wardcam_core::wipe::command`) for one
//! installation (the id its Device screen shows) or every phone of the trust, as one line of text
//! (`wipe.txt`, to paste) and one QR code (`wipe.png`, to scan). Signed with the same provisioning
//! key as the provisioning codes, and checked with the app's own code before it is written.

use std::path::Path;

use wardcam_core::wipe::command::{self, Order, Target};
use wardcam_core::wipe::{DEFAULT_VALIDITY_SECS, MAX_VALIDITY_SECS};

use crate::{keys, qr, Failure};

/// What `wipe` is asked to make.
#[derive(Debug)]
pub struct Request<'a> {
    /// The provisioning private key.
    pub key: &'a Path,
    /// The trust's ODS code.
    pub ods_code: &'a str,
    /// One installation's id, or `None` for the whole fleet.
    pub installation: Option<&'a str>,
    /// `24h`, `3d`; at most 7 days.
    pub valid_for: Option<&'a str>,
    /// Where to write `wipe.txt` and `wipe.png`.
    pub out: &'a Path,
    /// Print the QR code in the terminal too.
    pub terminal: bool,
}

/// `36h`, `2d`: seconds, at most [`MAX_VALIDITY_SECS`].
fn parse_valid_for(text: Option<&str>) -> Result<u64, Failure> {
    match text {
        None => Ok(DEFAULT_VALIDITY_SECS),
        Some(text) => crate::parse_period(
            text,
            MAX_VALIDITY_SECS,
            "a number of hours (24h) or days (2d), at most 7d",
        ),
    }
}

/// Makes, checks and writes the command.
pub fn make(r: &Request<'_>, now: u64) -> Result<(), Failure> {
    let seconds = parse_valid_for(r.valid_for)?;
    let target = match r.installation {
        // The Device screen may group it; the phone compares the plain lower-case form.
        Some(id) => Target::Installation(
            id.chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .collect::<String>()
                .to_ascii_lowercase(),
        ),
        None => Target::Fleet,
    };
    let refused =
        |e: wardcam_core::wipe::WipeError| Failure::refused(format!("{e} [{}]", e.code()));
    let order = Order::new(
        &r.ods_code.trim().to_ascii_uppercase(),
        target,
        now,
        seconds,
    )
    .map_err(refused)?;
    let (pkcs8, public) = keys::read_private(r.key)?;
    let code = command::sign(&order, &pkcs8).map_err(refused)?;
    drop(pkcs8);
    // What the phone will do: a command this tool made must pass the app's own check.
    let checked = command::verify(&code, &[public], now).map_err(|e| {
        Failure::refused(format!(
            "the signed command does not verify ({e}); this is a bug in wardcam-admin"
        ))
    })?;

    std::fs::create_dir_all(r.out).map_err(|e| Failure::io(r.out, &e))?;
    let text_path = r.out.join("wipe.txt");
    let png_path = r.out.join("wipe.png");
    for p in [&text_path, &png_path] {
        if p.exists() {
            return Err(Failure::refused(format!(
                "{} already exists; choose an empty --out directory",
                p.display()
            )));
        }
    }
    let symbol = qr::encode(&code)?;
    std::fs::write(&text_path, format!("{code}\n")).map_err(|e| Failure::io(&text_path, &e))?;
    qr::write_png(&symbol, &png_path)?;

    match &checked.target {
        Target::Installation(id) => println!(
            "Signed a wipe command for installation {id} of {}.",
            checked.ods_code
        ),
        Target::Fleet => println!(
            "Signed a wipe command for EVERY phone of {} that scans it (each applies it once).",
            checked.ods_code
        ),
    }
    println!("Command id (nonce): {}", checked.nonce);
    println!(
        "Valid until {}; signed by {}.",
        crate::utc(checked.expires_at),
        public.to_base64()
    );
    println!("  wrote {}", text_path.display());
    println!("  wrote {}", png_path.display());
    if r.terminal {
        println!();
        println!("{}", qr::terminal(&symbol));
    }
    Ok(())
}
