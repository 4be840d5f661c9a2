//! Reading what a barcode scanner returns from a patient wristband: an NHS DCB1077 GS1
//! DataMatrix, a bare NHS number, or a local hospital number.
//!
//! Everything [`parse_scan`] documents: GS1 element strings, the human-readable form, bare
//! numbers, and the types they become.

use std::fmt;

use super::{NhsNumber, PatientError, PatientPolicy};

/// The longest scan read, in bytes. A DCB1077 band carries well under 200 characters; anything
/// longer is refused before it is parsed.
pub const MAX_SCAN_LEN: usize = 512;

/// The longest local hospital number on a band (AI 91).
const MAX_LOCAL_ID_LEN: usize = 20;
/// The longest name part in AI 93 (the NHS Personal Demographics Service limit).
const MAX_NAME_LEN: usize = 35;
/// The longest value GS1 allows in a company-internal AI (91–99).
const MAX_INTERNAL_LEN: usize = 90;

/// The group separator (FNC1 as transmitted).
const GS: u8 = 0x1d;

/// A GS1 Application Identifier: 2 to 4 digits naming a data element. Shown as `(8018)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ai {
    digits: [u8; 4],
    len: u8,
}

impl Ai {
    /// AI 8018, the Global Service Relation Number carrying the NHS number.
    pub const GSRN: Ai = Ai::from_static(b"8018");
    /// AI 8019, the Service Relation Instance Number.
    pub const SRIN: Ai = Ai::from_static(b"8019");
    /// AI 91, the local patient identifier (WardCam's encoding).
    pub const LOCAL_ID: Ai = Ai::from_static(b"91");
    /// AI 92, the issuing organisation's ODS code (WardCam's encoding).
    pub const ODS_CODE: Ai = Ai::from_static(b"92");
    /// AI 93, family name, given name and date of birth (WardCam's encoding).
    pub const DEMOGRAPHICS: Ai = Ai::from_static(b"93");

    const fn from_static(s: &[u8]) -> Ai {
        let mut digits = [0u8; 4];
        let mut i = 0;
        while i < s.len() && i < 4 {
            digits[i] = s[i];
            i += 1;
        }
        Ai {
            digits,
            len: i as u8,
        }
    }

    /// The AI's digits (`"8018"`).
    pub fn as_str(&self) -> &str {
        // Only ever built from ASCII digits.
        std::str::from_utf8(&self.digits[..usize::from(self.len)]).unwrap_or("")
    }
}

impl fmt::Display for Ai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({})", self.as_str())
    }
}

impl fmt::Debug for Ai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ai({})", self.as_str())
    }
}

/// A date of birth, validated as a real calendar date. `Debug` hides it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BirthDate {
    year: u16,
    month: u8,
    day: u8,
}

impl BirthDate {
    /// A date, if it exists in the Gregorian calendar and its year is 1850–9999.
    pub fn new(year: u16, month: u8, day: u8) -> Option<BirthDate> {
        if !(1850..=9999).contains(&year) || !(1..=12).contains(&month) || day == 0 {
            return None;
        }
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        (day <= days).then_some(BirthDate { year, month, day })
    }

    /// Reads a FHIR / ISO 8601 full date, `YYYY-MM-DD`. Partial dates (`1980`, `1980-01`) are
    /// `None`: they cannot confirm a band's full date.
    pub fn parse_iso(s: &str) -> Option<BirthDate> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        BirthDate::from_digits(&b[0..4], &b[5..7], &b[8..10])
    }

    /// Reads `YYYYMMDD`, as on a wristband.
    pub(crate) fn parse_compact(b: &[u8]) -> Option<BirthDate> {
        if b.len() != 8 {
            return None;
        }
        BirthDate::from_digits(&b[0..4], &b[4..6], &b[6..8])
    }

    fn from_digits(y: &[u8], m: &[u8], d: &[u8]) -> Option<BirthDate> {
        fn num(b: &[u8]) -> Option<u16> {
            b.iter().try_fold(0u16, |acc, c| {
                c.is_ascii_digit().then(|| acc * 10 + u16::from(c - b'0'))
            })
        }
        let month = u8::try_from(num(m)?).ok()?;
        let day = u8::try_from(num(d)?).ok()?;
        BirthDate::new(num(y)?, month, day)
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month, 1–31.
    pub fn day(&self) -> u8 {
        self.day
    }

    /// `YYYY-MM-DD`, as FHIR writes it.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `18-Jan-1980`, as NHS documents and wristbands show it to people.
    pub fn formatted(&self) -> String {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let month = MONTHS
            .get(usize::from(self.month).saturating_sub(1))
            .copied()
            .unwrap_or("???");
        format!("{:02}-{}-{:04}", self.day, month, self.year)
    }

    fn compact(&self) -> String {
        format!("{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BirthDate(<redacted>)")
    }
}

/// A local hospital number (MRN) tagged with the organisation that issued it. `Debug` shows the
/// issuer but hides the number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LocalId {
    issuer: String,
    value: String,
}

impl LocalId {
    /// The issuing organisation (an ODS code such as `RX1`, or the issuer a trust configured).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The number itself, to show the clinician or send to the record system.
    pub fn value(&self) -> &str {
        &self.value
    }

    #[cfg(test)]
    pub(crate) fn for_tests(issuer: &str, value: &str) -> LocalId {
        LocalId {
            issuer: issuer.to_owned(),
            value: value.to_owned(),
        }
    }
}

impl fmt::Debug for LocalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalId")
            .field("issuer", &self.issuer)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// Where a patient identification came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScanSource {
    /// A GS1 element string from a wristband barcode.
    Gs1Wristband,
    /// The human-readable `(8018)…` form of a GS1 wristband (typed, or sent by a scanner so set up).
    Gs1HumanReadable,
    /// A bare NHS number (a linear barcode, or a scanner that sends only the number).
    NhsNumber,
    /// A local hospital number in the trust's configured format.
    LocalNumber,
    /// An NHS number typed twice by hand ([`WristbandData::manual_entry`]).
    ManualEntry,
}

/// What a wristband scan (or a manual entry) identified. `Debug` hides every identifier, name and
/// date, so the value can be logged as "what kind of scan was it" without leaking who.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WristbandData {
    /// The NHS number (from the GSRN, or the bare number).
    pub nhs_number: Option<NhsNumber>,
    /// The local hospital number, tagged with its issuer.
    pub local_id: Option<LocalId>,
    /// Family name, as on the band.
    pub family_name: Option<String>,
    /// Given name, as on the band.
    pub given_name: Option<String>,
    /// Date of birth.
    pub date_of_birth: Option<BirthDate>,
    /// ODS code of the organisation that issued the band (upper-case).
    pub ods_code: Option<String>,
    /// The GS1 service relation instance number (AI 8019), digits as on the band.
    pub service_instance: Option<String>,
    /// What was read.
    pub source: ScanSource,
}

impl WristbandData {
    /// A patient identified by an NHS number typed by hand (after
    /// [`confirm_manual_entry`](super::confirm_manual_entry)): no name or date of birth to compare.
    pub fn manual_entry(nhs_number: NhsNumber) -> WristbandData {
        WristbandData::from_nhs_number(nhs_number, ScanSource::ManualEntry)
    }

    pub(crate) fn from_nhs_number(nhs_number: NhsNumber, source: ScanSource) -> WristbandData {
        WristbandData {
            nhs_number: Some(nhs_number),
            ..WristbandData::empty(source)
        }
    }

    /// No fields yet, from `source`: the start of every parse.
    fn empty(source: ScanSource) -> WristbandData {
        WristbandData {
            nhs_number: None,
            local_id: None,
            family_name: None,
            given_name: None,
            date_of_birth: None,
            ods_code: None,
            service_instance: None,
            source,
        }
    }
}

impl fmt::Debug for WristbandData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn present<T>(o: &Option<T>) -> &'static str {
            if o.is_some() {
                "Some(<redacted>)"
            } else {
                "None"
            }
        }
        f.debug_struct("WristbandData")
            .field("nhs_number", &format_args!("{}", present(&self.nhs_number)))
            .field("local_id", &self.local_id)
            .field(
                "family_name",
                &format_args!("{}", present(&self.family_name)),
            )
            .field("given_name", &format_args!("{}", present(&self.given_name)))
            .field(
                "date_of_birth",
                &format_args!("{}", present(&self.date_of_birth)),
            )
            .field("ods_code", &self.ods_code)
            .field(
                "service_instance",
                &format_args!("{}", present(&self.service_instance)),
            )
            .field("source", &self.source)
            .finish()
    }
}

/// Reads a scan as [`parse_scan`] does, and refuses a bare NHS number that may have been typed:
/// one that came through a text field (`via_camera` false) without a scanner's symbology
/// identifier (`]C0`, `]d1`…). Such a number was read from nowhere but a keyboard as far as anyone
/// can tell, so it must go through the type-it-twice rule ([`PatientError::SecondEntryNeeded`]).
/// Numbers from the phone's camera scanner, and GS1 wristband strings, are accepted as scanned.
pub fn read_scan(
    input: &str,
    policy: &PatientPolicy,
    via_camera: bool,
) -> Result<WristbandData, PatientError> {
    let band = parse_scan(input, policy)?;
    // Printed band text comes from a keyboard whatever field it was typed in.
    if band.source == ScanSource::Gs1HumanReadable && !policy.allows_band_text() {
        return Err(PatientError::EntryNotAllowed);
    }
    if band.source == ScanSource::NhsNumber && !via_camera {
        let trimmed = input.trim_matches([' ', '\t', '\r', '\n']);
        if strip_symbology(trimmed).1.is_none() {
            policy.check_typed_entry()?;
            return Err(PatientError::SecondEntryNeeded);
        }
    }
    Ok(band)
}

/// Reads one scan (or pasted text) as a patient identification: the entry point for scanners,
/// manual paste and fuzzing. Never panics, and returns in time linear in the input, which is
/// refused unread when over [`MAX_SCAN_LEN`] bytes.
///
/// # The GS1 wristband (DCB1077)
///
/// A GS1 element string is a run of data elements, each an Application Identifier (AI) followed by
/// its data. Fixed-length elements need nothing after them; a variable-length element is ended by
/// a separator (FNC1, sent by scanners as the ASCII group separator `GS`, 0x1D) unless it is last.
/// The elements read here:
///
/// | AI | content | format |
/// | --- | --- | --- |
/// | `8018` | GSRN: GS1 company prefix (7 digits, [`PatientPolicy::gsrn_prefix`]) + NHS number (10) + GS1 mod-10 check digit (1) | 18 digits |
/// | `8019` | SRIN: service relation instance number (which band of this patient) | 1–10 digits |
/// | `91` | local patient identifier (hospital number, MRN) | 1–20 of `A–Z a–z 0–9 -` |
/// | `92` | ODS code of the organisation that issued the band and the local identifier | 3–6 of `A–Z a–z 0–9`, read upper-case |
/// | `93` | patient descriptive data: `FAMILY/GIVEN/YYYYMMDD` | names: letters, `- ' .`, and `_` for a space (GS1 barcodes cannot carry a space); given may be empty; family 1–35 and given 0–35 characters; date of birth 8 digits |
/// | `94`–`99` | other company-internal data | skipped: a trust may use them for anything, and a separator always ends them |
///
/// **AIs 91, 92 and 93 are the trust-configurable part.** GS1 reserves 91–99 for each
/// organisation's internal use, so DCB1077 bands differ between trusts in how they carry the
/// hospital number, ODS code, names and date of birth. The layout above is WardCam's concrete
/// encoding; a trust whose bands differ needs this module adapted before go-live, and its test
/// bands added to `crates/core/tests/vectors/`.
///
/// Because the date of birth ends `93` at a known length, a scanner that drops the separator after
/// `93` is still read correctly, as is one that drops it after the fixed-length `8018`. A separator
/// missing after `91` or `92` makes the next element part of the value, which then fails its format
/// ([`PatientError::FieldInvalid`]), the trust's local-number pattern
/// ([`PatientError::LocalIdInvalid`]) or the ODS code that must go with a hospital number
/// ([`PatientError::MissingIssuer`]): it is never split by guesswork. The one case no check can
/// catch is a hospital number swallowing an `8019` that follows it on a device with no local
/// pattern configured; the NHS number, fixed-length and doubly check-digited, is never affected.
///
/// # What scanners send, and what is accepted
///
/// - With or without a symbology identifier: `]d2` (GS1 DataMatrix), `]C1` (GS1-128), `]Q3`
///   (GS1 QR), `]e0` (GS1 DataBar) mark a GS1 string; any other `]` + letter + digit identifier is
///   removed and the rest read as a number.
/// - Separators: `GS` (0x1D), `è` (U+00E8: the DataMatrix FNC1 codeword 232 passed through as
///   Latin-1 by some decoders), or the text placeholders `<GS>` and `<FNC1>`. A leading separator
///   (FNC1 in first position), doubled separators and superfluous separators after fixed-length
///   elements are all ignored.
/// - The human-readable form `(8018)500000094347659194(91)…`: each AI in brackets; spaces between
///   and within the digits are ignored.
/// - Elements in any order.
///
/// Refused, each with its own [`PatientError`]: scans over [`MAX_SCAN_LEN`] bytes (before any
/// other work), characters outside ASCII, any AI outside the table above (a product code, batch or
/// expiry date means a drug pack or device label was scanned: [`PatientError::NotAWristband`]), a
/// repeated AI, a truncated or malformed element, a GSRN whose check digit is wrong or whose
/// prefix is not the NHS's, an NHS number failing Modulus 11, and a band with neither an NHS number
/// nor a hospital number.
///
/// # Bare numbers
///
/// Anything not recognised as GS1 is read as an NHS number (ten digits, spaces and dashes allowed,
/// Modulus 11), then, if the trust configured one, as a local hospital number matching its
/// [`LocalIdPattern`](super::LocalIdPattern). An NHS number is tried first: a trust whose hospital
/// numbers are also ten digits must give its pattern something that tells them apart.
pub fn parse_scan(input: &str, policy: &PatientPolicy) -> Result<WristbandData, PatientError> {
    if input.len() > MAX_SCAN_LEN {
        return Err(PatientError::TooLong { max: MAX_SCAN_LEN });
    }
    let trimmed = input.trim_matches([' ', '\t', '\r', '\n']);
    let (body, symbology) = strip_symbology(trimmed);
    let (bytes, saw_separator) = normalize(body)?;
    let leading = bytes.iter().take_while(|&&b| b == GS).count();
    let data = &bytes[leading..];
    if data.is_empty() {
        return Err(if symbology.is_some() || saw_separator {
            PatientError::Unreadable
        } else {
            PatientError::Empty
        });
    }
    let human_readable = data.first() == Some(&b'(') && hr_ai_len(data, 0).is_some();
    let gs1 = symbology == Some(Symbology::Gs1)
        || saw_separator
        || human_readable
        || (data.starts_with(b"8018") && data.len() > 10);
    if gs1 {
        let elements = if human_readable {
            split_human_readable(data)?
        } else {
            split_element_string(data)?
        };
        let source = if human_readable {
            ScanSource::Gs1HumanReadable
        } else {
            ScanSource::Gs1Wristband
        };
        return build(&elements, source, policy);
    }
    // `normalize` let through only ASCII, so this cannot fail.
    let text = std::str::from_utf8(data).map_err(|_| PatientError::NotAscii)?;
    match NhsNumber::parse(text) {
        Ok(n) => Ok(WristbandData::from_nhs_number(n, ScanSource::NhsNumber)),
        Err(e) => {
            if let Some(pattern) = policy.local_id() {
                let value = text.trim();
                if pattern.matches(value) {
                    return Ok(WristbandData {
                        nhs_number: None,
                        local_id: Some(LocalId {
                            issuer: pattern.issuer().to_owned(),
                            value: value.to_owned(),
                        }),
                        family_name: None,
                        given_name: None,
                        date_of_birth: None,
                        ods_code: None,
                        service_instance: None,
                        source: ScanSource::LocalNumber,
                    });
                }
            }
            if text
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b' ' || b == b'-')
            {
                Err(e)
            } else {
                Err(PatientError::NotRecognised)
            }
        }
    }
}

/// Builds the GS1 element string for a band carrying `data`, as a DataMatrix would be printed
/// and scanned back (`]d2`, `GS` after each variable-length element). For test bands and
/// printers; [`parse_scan`] reads it back to the same `data`.
///
/// `93` is written only when the family name and date of birth are both present; `92` from
/// `data.ods_code`. Values are written as they are: invalid ones make a band that is refused.
pub fn encode_wristband(data: &WristbandData, policy: &PatientPolicy) -> String {
    let mut out = String::from("]d2");
    if let Some(n) = &data.nhs_number {
        out.push_str("8018");
        out.push_str(&gsrn_for(n, policy));
    }
    let variable = |out: &mut String, ai: Ai, value: &str| {
        out.push_str(ai.as_str());
        out.push_str(value);
        out.push(char::from(GS));
    };
    if let Some(s) = &data.service_instance {
        variable(&mut out, Ai::SRIN, s);
    }
    if let Some(id) = &data.local_id {
        variable(&mut out, Ai::LOCAL_ID, &id.value);
    }
    if let Some(ods) = &data.ods_code {
        variable(&mut out, Ai::ODS_CODE, ods);
    }
    if let (Some(family), Some(dob)) = (&data.family_name, &data.date_of_birth) {
        let given = data.given_name.as_deref().unwrap_or("");
        let value = format!(
            "{}/{}/{}",
            family.replace(' ', "_"),
            given.replace(' ', "_"),
            dob.compact()
        );
        variable(&mut out, Ai::DEMOGRAPHICS, &value);
    }
    if out.ends_with(char::from(GS)) {
        out.pop();
    }
    out
}

/// The 18-digit GSRN for an NHS number under the policy's prefix.
pub fn gsrn_for(nhs_number: &NhsNumber, policy: &PatientPolicy) -> String {
    let mut s = String::with_capacity(18);
    s.push_str(policy.gsrn_prefix());
    s.push_str(&nhs_number.digits());
    let check = gs1_check_digit(s.as_bytes());
    s.push(char::from(b'0' + check));
    s
}

/// The GS1 mod-10 check digit of `digits` (all ASCII digits): weights 3, 1, 3, … from the right.
pub(super) fn gs1_check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let weight = if i % 2 == 0 { 3 } else { 1 };
            u32::from(d.wrapping_sub(b'0')) * weight
        })
        .sum();
    // (10 - sum % 10) % 10 is 0..=9.
    u8::try_from((10 - sum % 10) % 10).unwrap_or(0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Symbology {
    Gs1,
    Other,
}

/// Removes an AIM symbology identifier (`]` + letter + digit) and says whether it announced GS1.
fn strip_symbology(s: &str) -> (&str, Option<Symbology>) {
    let b = s.as_bytes();
    if b.len() >= 3 && b[0] == b']' && b[1].is_ascii_alphabetic() && b[2].is_ascii_digit() {
        let kind = match &b[1..3] {
            b"d2" | b"C1" | b"Q3" | b"e0" => Symbology::Gs1,
            _ => Symbology::Other,
        };
        // The first three bytes are ASCII, so index 3 is a char boundary.
        return (s.get(3..).unwrap_or(""), Some(kind));
    }
    (s, None)
}

/// Maps every separator form to `GS` and refuses anything else outside printable ASCII.
/// Returns the bytes and whether any separator was seen.
fn normalize(s: &str) -> Result<(Vec<u8>, bool), PatientError> {
    let mut out = Vec::with_capacity(s.len());
    let mut saw = false;
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if let Some(r) = rest
            .strip_prefix("<GS>")
            .or_else(|| rest.strip_prefix("<FNC1>"))
        {
            out.push(GS);
            saw = true;
            rest = r;
            continue;
        }
        match c {
            '\u{1d}' | '\u{e8}' => {
                out.push(GS);
                saw = true;
            }
            // Printable ASCII: one byte, the same as the char.
            ' '..='~' => out.push(c as u8),
            _ => return Err(PatientError::NotAscii),
        }
        rest = &rest[c.len_utf8()..];
    }
    Ok((out, saw))
}

/// How many digits an AI starting with these two digits has (GS1 General Specifications,
/// "AI length by prefix"); 2 for prefixes GS1 has not assigned.
fn ai_length(d0: u8, d1: u8) -> usize {
    match (d0, d1) {
        (b'2', b'3'..=b'5') | (b'4', b'0'..=b'2') | (b'7', b'1') => 3,
        (b'3', b'1'..=b'6') | (b'3', b'9') | (b'4', b'3') | (b'7', b'0') | (b'7', b'2') => 4,
        (b'8', b'0'..=b'2') => 4,
        _ => 2,
    }
}

/// What a recognised AI's data looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Exactly this many characters, no separator needed after.
    Fixed(usize),
    /// Up to the next separator.
    Variable,
    /// AI 93: up to the next separator, or to the end of its date of birth.
    Demographics,
    /// A company-internal AI WardCam does not use: read to the next separator and dropped.
    Ignored,
}

fn kind(ai: Ai) -> Option<Kind> {
    match ai.as_str() {
        "8018" => Some(Kind::Fixed(18)),
        "8019" | "91" | "92" => Some(Kind::Variable),
        "93" => Some(Kind::Demographics),
        "94" | "95" | "96" | "97" | "98" | "99" => Some(Kind::Ignored),
        _ => None,
    }
}

/// One data element as found in the scan.
struct Element {
    ai: Ai,
    value: Vec<u8>,
}

/// Reads the AI at the start of `d`, if it is all digits and long enough.
fn read_ai(d: &[u8]) -> Option<Ai> {
    let (&d0, &d1) = (d.first()?, d.get(1)?);
    if !d0.is_ascii_digit() || !d1.is_ascii_digit() {
        return None;
    }
    let len = ai_length(d0, d1);
    let digits = d.get(..len)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut ai = Ai {
        digits: [0; 4],
        len: 0,
    };
    ai.digits[..len].copy_from_slice(digits);
    ai.len = u8::try_from(len).unwrap_or(0);
    Some(ai)
}

/// Where AI 93's value ends when the separator after it is missing: just after the eight digits
/// following the second `/`.
fn demographics_end(raw: &[u8]) -> usize {
    let mut slashes = raw.iter().enumerate().filter(|(_, &b)| b == b'/');
    if let (Some(_), Some((second, _))) = (slashes.next(), slashes.next()) {
        let date_start = second + 1;
        if let Some(date) = raw.get(date_start..date_start + 8) {
            if date.iter().all(u8::is_ascii_digit) {
                return date_start + 8;
            }
        }
    }
    raw.len()
}

fn push(elements: &mut Vec<Element>, ai: Ai, kind: Kind, value: &[u8]) -> Result<(), PatientError> {
    if kind == Kind::Ignored {
        return Ok(());
    }
    if elements.iter().any(|e| e.ai == ai) {
        return Err(PatientError::DuplicateField { ai });
    }
    elements.push(Element {
        ai,
        value: value.to_vec(),
    });
    Ok(())
}

/// Splits a raw element string (`GS` separators, no brackets) into elements.
fn split_element_string(d: &[u8]) -> Result<Vec<Element>, PatientError> {
    let mut elements = Vec::new();
    let mut i = 0;
    while i < d.len() {
        if d[i] == GS {
            i += 1;
            continue;
        }
        let ai = read_ai(&d[i..]).ok_or(PatientError::Unreadable)?;
        i += usize::from(ai.len);
        let kind = kind(ai).ok_or(PatientError::NotAWristband { ai })?;
        let rest = &d[i..];
        let until_gs = rest.iter().position(|&b| b == GS).unwrap_or(rest.len());
        let len = match kind {
            Kind::Fixed(n) if until_gs < n => return Err(PatientError::Truncated { ai }),
            Kind::Fixed(n) => n,
            Kind::Variable | Kind::Ignored => until_gs,
            Kind::Demographics => demographics_end(&rest[..until_gs]),
        };
        if len == 0 {
            return Err(PatientError::Truncated { ai });
        }
        push(&mut elements, ai, kind, &rest[..len])?;
        i += len;
    }
    Ok(elements)
}

/// If `d[at..]` starts with `(` + a whole AI + `)`, the length of that bracketed AI.
fn hr_ai_len(d: &[u8], at: usize) -> Option<usize> {
    if d.get(at) != Some(&b'(') {
        return None;
    }
    let ai = read_ai(d.get(at + 1..)?)?;
    let close = at + 1 + usize::from(ai.len);
    (d.get(close) == Some(&b')')).then_some(usize::from(ai.len) + 2)
}

/// Splits the human-readable form, `(AI)value(AI)value…`, into elements.
fn split_human_readable(d: &[u8]) -> Result<Vec<Element>, PatientError> {
    let mut elements = Vec::new();
    let mut i = 0;
    while i < d.len() {
        if d[i] == GS || d[i] == b' ' {
            i += 1;
            continue;
        }
        let bracket = hr_ai_len(d, i).ok_or(PatientError::Unreadable)?;
        let ai = read_ai(&d[i + 1..]).ok_or(PatientError::Unreadable)?;
        i += bracket;
        let start = i;
        while i < d.len() && d[i] != GS && hr_ai_len(d, i).is_none() {
            i += 1;
        }
        let kind = kind(ai).ok_or(PatientError::NotAWristband { ai })?;
        let raw = &d[start..i];
        let value: Vec<u8> = match kind {
            // Printed digits are often grouped with spaces.
            Kind::Fixed(_) => raw.iter().copied().filter(|&b| b != b' ').collect(),
            _ => trim_spaces(raw).to_vec(),
        };
        match kind {
            Kind::Fixed(n) if value.len() < n => return Err(PatientError::Truncated { ai }),
            Kind::Fixed(n) if value.len() > n => return Err(PatientError::FieldInvalid { ai }),
            _ if value.is_empty() => return Err(PatientError::Truncated { ai }),
            _ => {}
        }
        push(&mut elements, ai, kind, &value)?;
    }
    Ok(elements)
}

fn trim_spaces(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&c| c != b' ').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b' ').map_or(start, |e| e + 1);
    &b[start..end]
}

/// The NHS number inside a GSRN, after checking its check digit and prefix.
fn read_gsrn(value: &[u8], policy: &PatientPolicy) -> Result<NhsNumber, PatientError> {
    let ai = Ai::GSRN;
    if value.len() != 18 || !value.iter().all(u8::is_ascii_digit) {
        return Err(PatientError::FieldInvalid { ai });
    }
    if gs1_check_digit(&value[..17]) != value[17] - b'0' {
        return Err(PatientError::GsrnCheckDigitWrong);
    }
    if &value[..7] != policy.gsrn_prefix().as_bytes() {
        return Err(PatientError::NotNhsWristband);
    }
    let digits =
        std::str::from_utf8(&value[7..17]).map_err(|_| PatientError::FieldInvalid { ai })?;
    NhsNumber::parse(digits)
}

/// Reads a name part of AI 93: letters, `- ' .`, `_` or space for a space; at least one letter.
fn read_name(b: &[u8], max: usize) -> Option<String> {
    if b.len() > max {
        return None;
    }
    let mut s = String::with_capacity(b.len());
    for &c in b {
        match c {
            b'A'..=b'Z' | b'a'..=b'z' | b'-' | b'\'' | b'.' => s.push(char::from(c)),
            b'_' | b' ' => s.push(' '),
            _ => return None,
        }
    }
    let s = s.trim().to_owned();
    s.bytes().any(|c| c.is_ascii_alphabetic()).then_some(s)
}

type Demographics = (String, Option<String>, BirthDate);

fn read_demographics(value: &[u8]) -> Option<Demographics> {
    let mut parts = value.split(|&b| b == b'/');
    let (family, given, dob) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let family = read_name(family, MAX_NAME_LEN)?;
    let given = if given.is_empty() {
        None
    } else {
        Some(read_name(given, MAX_NAME_LEN)?)
    };
    Some((family, given, BirthDate::parse_compact(dob)?))
}

fn ascii(value: &[u8]) -> String {
    value.iter().map(|&b| char::from(b)).collect()
}

/// Turns elements into a validated [`WristbandData`].
fn build(
    elements: &[Element],
    source: ScanSource,
    policy: &PatientPolicy,
) -> Result<WristbandData, PatientError> {
    let mut data = WristbandData::empty(source);
    let mut local_value = None;
    for e in elements {
        let ai = e.ai;
        let invalid = PatientError::FieldInvalid { ai };
        let v = e.value.as_slice();
        if v.len() > MAX_INTERNAL_LEN {
            return Err(invalid);
        }
        match ai.as_str() {
            "8018" => data.nhs_number = Some(read_gsrn(v, policy)?),
            "8019" => {
                if v.len() > 10 || !v.iter().all(u8::is_ascii_digit) {
                    return Err(invalid);
                }
                data.service_instance = Some(ascii(v));
            }
            "91" => {
                let ok = v.len() <= MAX_LOCAL_ID_LEN
                    && v.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-');
                if !ok {
                    return Err(invalid);
                }
                local_value = Some(ascii(v));
            }
            "92" => {
                if !(3..=6).contains(&v.len()) || !v.iter().all(u8::is_ascii_alphanumeric) {
                    return Err(invalid);
                }
                data.ods_code = Some(ascii(v).to_ascii_uppercase());
            }
            "93" => {
                let (family, given, dob) = read_demographics(v).ok_or(invalid)?;
                data.family_name = Some(family);
                data.given_name = given;
                data.date_of_birth = Some(dob);
            }
            // `kind` admits no other AI into the element list.
            _ => return Err(PatientError::NotAWristband { ai }),
        }
    }
    if let Some(value) = local_value {
        let configured = policy.local_id();
        let issuer = match (&data.ods_code, configured) {
            (Some(ods), _) => ods.clone(),
            (None, Some(p)) => p.issuer().to_owned(),
            (None, None) => return Err(PatientError::MissingIssuer),
        };
        if let Some(p) = configured {
            if p.issuer().eq_ignore_ascii_case(&issuer) && !p.matches(&value) {
                return Err(PatientError::LocalIdInvalid);
            }
        }
        data.local_id = Some(LocalId { issuer, value });
    }
    if data.nhs_number.is_none() && data.local_id.is_none() {
        return Err(PatientError::NoIdentifier);
    }
    Ok(data)
}
