//! The consent record as a PDF, for a trust whose only record of a photo is its PACS: the PDF
//! goes there encapsulated in a DICOM object ([`super::encapsulated_consent`]).
//!
//! One or more A4 pages: the title, the patient as the consent record names them, the decision,
//! who consented and how (with the signature image when it was signed), when and before which
//! clinician, the record's id and digest, and the consent text's version, digest and wording for
//! each use, marked agreed or declined. Pure: no I/O, no clock, no logging; the same record and
//! text always give the same bytes (no random file id, the only date is the record's).
//!
//! Only the standard Helvetica fonts are used (nothing is embedded), in WinAnsiEncoding, so every
//! reader shows the text and `pdftotext` reads it back. What that encoding cannot hold is mapped
//! ([`encode`]): Polish and other Latin letters with marks lose the mark (`ł` → `l`), spacing and
//! control characters become spaces, invisible marks are dropped, and anything else (Chinese,
//! emoji) is printed as `?`, with a note on the last page saying so. The DICOM header keeps the
//! patient's name exactly (UTF-8), so the file as a whole still names them as recorded.

use miniz_oxide::deflate::compress_to_vec_zlib;
use pdf_writer::{Content, Date, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use zeroize::Zeroizing;

use super::DeliveryError;
use crate::consent::time::utc;
use crate::consent::{ConsentRecord, ConsentText, ConsentedBy, Decision, Method, PurposeText};
use crate::session::Purpose;
use crate::vault::Timestamp;

/// The document's title, on its first page, in its PDF metadata and as the DICOM Document Title.
pub const CONSENT_DOCUMENT_TITLE: &str = "Consent to clinical photography";

/// A4 in points.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
/// 20 mm.
const MARGIN: f32 = 56.69;
/// Room kept above the bottom margin for the footer.
const BOTTOM: f32 = MARGIN + 12.0;
const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN;
const FOOTER_Y: f32 = MARGIN - 16.0;
/// Indent of a use's wording under its heading.
const INDENT: f32 = 12.0;
/// The signature is drawn at most this wide and this high, keeping its shape.
const SIGNATURE_MAX_W: f32 = 240.0;
const SIGNATURE_MAX_H: f32 = 120.0;
/// Largest signature PNG decoded, in bytes of pixels (the pad is at most 2,048 pixels a side).
const SIGNATURE_DECODE_LIMIT: usize = 64 * 1024 * 1024;
/// zlib level for the page contents and the signature: the default, since the pages are small.
const DEFLATE_LEVEL: u8 = 6;
/// The label hashed with the record's digest for the PDF's file identifier (never to change, so
/// the same consent keeps the same identifier).
const FILE_ID_LABEL: &str = "wardcam.consent-pdf.file-id.v1";

/// Writes the consent record `record`, shown with `text`, as a PDF.
///
/// Refused when `text` is not the text the record was shown (another version or other words:
/// [`DeliveryError::ConsentPdfTextMismatch`]), since printing other wording as what the patient
/// agreed to would be false; when the signature cannot be rendered or read
/// ([`DeliveryError::ConsentPdfSignature`]). A refusal (decision `Refuse`) is written too: every
/// use is then marked declined.
pub fn consent_pdf(
    record: &ConsentRecord,
    text: &ConsentText,
) -> Result<Zeroizing<Vec<u8>>, DeliveryError> {
    let text_sha256 = text.sha256().map_err(|_| DeliveryError::ConsentPdfEncode {
        detail: "the consent text's digest",
    })?;
    if text.version != record.text_version || text_sha256 != record.text_sha256 {
        return Err(DeliveryError::ConsentPdfTextMismatch);
    }
    let digest = record
        .sha256()
        .map_err(|_| DeliveryError::ConsentPdfEncode {
            detail: "the consent record's digest",
        })?;
    let png = record
        .signature_png()
        .map_err(|_| DeliveryError::ConsentPdfSignature)?
        .map(Zeroizing::new);
    let signature = png.as_deref().map(|p| decode_signature(p)).transpose()?;

    let mut doc = Document::default();
    describe(&mut doc, record, text, &digest.hex(), signature.as_ref());
    let footer = footer_text(record, &mut doc.replaced);
    if doc.replaced {
        doc.small(
            "Some characters could not be printed in this document's font and are shown as ?. \
             The DICOM object holding this document names the patient as recorded.",
        );
    }
    let pages = layout(&doc.blocks);
    let mut file_id = [0u8; 16];
    file_id.copy_from_slice(
        &ring::digest::digest(
            &ring::digest::SHA256,
            &[FILE_ID_LABEL.as_bytes(), &[0], &digest.0].concat(),
        )
        .as_ref()[..16],
    );
    write_pdf(
        &pages,
        signature.as_ref(),
        &footer,
        record.recorded_at,
        file_id,
    )
}

// ---- what the document says ---------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Font {
    Regular,
    Bold,
}

impl Font {
    fn resource(self) -> Name<'static> {
        match self {
            Font::Regular => Name(b"F1"),
            Font::Bold => Name(b"F2"),
        }
    }

    /// The advance width of `byte` (WinAnsiEncoding) in thousandths of the font size. A byte
    /// [`encode`] never writes counts as wide, so a line can only wrap early, never overflow.
    fn width(self, byte: u8) -> f32 {
        let table = match self {
            Font::Regular => &HELVETICA,
            Font::Bold => &HELVETICA_BOLD,
        };
        byte.checked_sub(32)
            .and_then(|i| table.get(usize::from(i)))
            .filter(|w| **w > 0)
            .map_or(1000.0, |w| f32::from(*w))
    }
}

/// A piece of text in one font, already in WinAnsiEncoding (`\n` marks a line break).
type Run = (Font, Vec<u8>);

enum Block {
    /// Wrapped text: `size` points, `indent` from the margin, `gap` points above it. A heading
    /// (`keep_with_next`) starts a new page rather than end one.
    Text {
        runs: Vec<Run>,
        size: f32,
        indent: f32,
        gap: f32,
        keep_with_next: bool,
    },
    /// The signature, framed, `gap` points above it.
    Signature { width: f32, height: f32, gap: f32 },
}

#[derive(Default)]
struct Document {
    blocks: Vec<Block>,
    /// Some character could not be shown and was printed as `?`.
    replaced: bool,
}

impl Document {
    fn title(&mut self, s: &str) {
        let runs = vec![(Font::Bold, encode(s, false, &mut self.replaced))];
        self.push_text(runs, 18.0, 0.0, 0.0, true);
    }

    fn heading(&mut self, s: &str) {
        let runs = vec![(Font::Bold, encode(s, false, &mut self.replaced))];
        self.push_text(runs, 12.0, 0.0, 14.0, true);
    }

    fn subheading(&mut self, s: &str) {
        let runs = vec![(Font::Bold, encode(s, false, &mut self.replaced))];
        self.push_text(runs, 10.5, 0.0, 9.0, true);
    }

    fn para(&mut self, s: &str) {
        let runs = vec![(Font::Regular, encode(s, true, &mut self.replaced))];
        self.push_text(runs, 10.0, 0.0, 4.0, false);
    }

    fn small(&mut self, s: &str) {
        let runs = vec![(Font::Regular, encode(s, true, &mut self.replaced))];
        self.push_text(runs, 8.5, 0.0, 2.0, false);
    }

    /// `Label: value`, the label in bold.
    fn field(&mut self, label: &str, value: &str) {
        self.field_at(0.0, label, value);
    }

    fn field_at(&mut self, indent: f32, label: &str, value: &str) {
        let runs = vec![
            (
                Font::Bold,
                encode(&format!("{label}: "), false, &mut self.replaced),
            ),
            (Font::Regular, encode(value, true, &mut self.replaced)),
        ];
        self.push_text(runs, 10.0, indent, 3.0, false);
    }

    fn push_text(&mut self, runs: Vec<Run>, size: f32, indent: f32, gap: f32, keep: bool) {
        self.blocks.push(Block::Text {
            runs,
            size,
            indent,
            gap,
            keep_with_next: keep,
        });
    }
}

/// The document's content, in reading order.
fn describe(
    doc: &mut Document,
    record: &ConsentRecord,
    text: &ConsentText,
    record_sha256: &str,
    signature: Option<&SignatureImage>,
) {
    doc.title(CONSENT_DOCUMENT_TITLE);
    doc.small(&format!(
        "Recorded on a trust phone with WardCam {}. Consent id {}.",
        env!("CARGO_PKG_VERSION"),
        record.id
    ));

    let p = &record.patient;
    doc.heading("Patient");
    let name = [p.given_name(), p.family_name()]
        .iter()
        .filter(|s| !s.trim().is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    doc.field(
        "Name",
        if name.is_empty() {
            "not recorded"
        } else {
            &name
        },
    );
    if let Some(nhs) = p.nhs_number() {
        doc.field("NHS number", &nhs.formatted());
    }
    if let Some((issuer, number)) = p.local_id() {
        doc.field("Hospital number", &format!("{number} (issued by {issuer})"));
    }
    if let Some(born) = p.birth_date() {
        doc.field("Date of birth", &born.formatted());
    }

    doc.heading("Decision");
    match record.decision {
        Decision::Permit => doc.para(
            "Consent was given for photographs to be taken for the uses marked Agreed below. \
             The uses marked Declined were not agreed.",
        ),
        Decision::Refuse => doc.para(
            "Consent was refused: no photographs may be taken. The uses below were discussed \
             and declined.",
        ),
    }

    doc.heading("Who decided");
    let signer = match &record.consented_by {
        ConsentedBy::Patient => {
            doc.para("The patient, who had capacity to decide.");
            "the patient".to_owned()
        }
        ConsentedBy::Representative { name, relationship } => {
            doc.para("Someone else, on the patient's behalf.");
            doc.field("Name", name);
            doc.field("Relationship to the patient", relationship);
            name.clone()
        }
        ConsentedBy::BestInterests { reason } => {
            doc.para(
                "Nobody could consent: the patient lacked capacity and no one could decide for \
                 them. The clinician decided that photographs are in the patient's best interests \
                 (Mental Capacity Act 2005, section 4).",
            );
            doc.field("Reason", reason);
            "the clinician".to_owned()
        }
    };

    doc.heading("How");
    match &record.method {
        Method::Signature { .. } => {
            doc.para(&format!("Signed on the phone's screen by {signer}."));
        }
        Method::Verbal { witness } => {
            doc.para("Given aloud, and attested by the clinician before a witness (not signed).");
            doc.field("Witness", witness);
        }
        Method::Declined => doc.para("The patient pressed Decline on the consent screen."),
    }
    if let Some(image) = signature {
        let (width, height) = image.drawn_size();
        doc.blocks.push(Block::Signature {
            width,
            height,
            gap: 8.0,
        });
        doc.small(&format!("Signature of {signer}, as drawn on the screen."));
    }

    doc.heading("When and before whom");
    doc.field(
        "Date and time",
        &format!("{} (UTC)", utc(record.recorded_at).words()),
    );
    let clinician = match &record.clinician.identifier {
        Some(id) => format!("{} ({id})", record.clinician.name),
        None => record.clinician.name.clone(),
    };
    doc.field("Clinician", &clinician);
    if let Some(org) = &record.organization {
        doc.field("Organisation (ODS code)", org);
    }

    doc.heading("This record");
    doc.field("Consent id", &record.id.to_string());
    doc.field("Consent record SHA-256", record_sha256);
    doc.field("Consent text version", &record.text_version);
    doc.field("Consent text SHA-256", &record.text_sha256);

    doc.heading("What the patient was told");
    doc.subheading(&text.title);
    doc.para(&text.introduction);
    for purpose in Purpose::ALL {
        let agreed = record.decision == Decision::Permit && record.purposes.contains(purpose);
        let mark = if agreed { "Agreed" } else { "Declined" };
        match text.purpose(purpose) {
            Some(words) => {
                doc.subheading(&format!("{mark}: {}", words.title));
                wording(doc, words);
            }
            // A checked text explains every use; a record still says what was decided.
            None => doc.subheading(&format!("{mark}: {}", purpose.label())),
        }
    }
    doc.subheading("Declining");
    doc.para(&text.declining);
}

/// A use's explanation, each part under its label.
fn wording(doc: &mut Document, words: &PurposeText) {
    for (label, value) in [
        ("What is stored", &words.stored),
        ("Where it is kept", &words.where_kept),
        ("Who sees it", &words.who_sees),
        ("How long it is kept", &words.how_long),
        ("Changing your mind", &words.withdraw),
    ] {
        doc.field_at(INDENT, label, value);
    }
}

/// `Consent <id> - NHS number 943 476 5919 - page n of N` (or the hospital number): each page
/// names the consent and the patient's number, never their name, which may not fit.
fn footer_text(record: &ConsentRecord, replaced: &mut bool) -> Vec<u8> {
    let patient = match (record.patient.nhs_number(), record.patient.local_id()) {
        (Some(nhs), _) => format!(" - NHS number {}", nhs.formatted()),
        (None, Some((issuer, number))) => format!(" - hospital number {number} ({issuer})"),
        (None, None) => String::new(),
    };
    encode(&format!("Consent {}{patient}", record.id), false, replaced)
}

// ---- text in WinAnsiEncoding --------------------------------------------------------------------

/// `s` in WinAnsiEncoding, as the standard Helvetica fonts show it. Line breaks stay `\n` when
/// `breaks` (free text), else become spaces (names); other whitespace and control characters
/// become spaces; invisible marks (combining accents, zero-width and direction marks, variation
/// selectors) are dropped; a Latin letter outside the encoding loses its mark (`Ł` → `L`); anything
/// else becomes `?` and sets `replaced`. Every byte written has a glyph in the encoding.
pub(crate) fn encode(s: &str, breaks: bool, replaced: &mut bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        if c == '\n' && breaks {
            out.push(b'\n');
        } else if c.is_whitespace() || c.is_control() {
            out.push(b' ');
        } else if invisible(c) {
            continue;
        } else if let Some(b) = winansi(c) {
            out.push(b);
        } else if let Some(base) = fold(c) {
            out.extend_from_slice(base);
        } else {
            out.push(b'?');
            *replaced = true;
        }
    }
    out
}

/// Characters with no glyph of their own that a reader would not see anyway.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}'                      // soft hyphen
        | '\u{0300}'..='\u{036F}'       // combining accents
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{200B}'..='\u{200F}'       // zero-width space, joiners, direction marks
        | '\u{202A}'..='\u{202E}'       // direction embeddings
        | '\u{2060}'..='\u{2064}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE00}'..='\u{FE0F}'       // variation selectors (emoji presentation)
        | '\u{FE20}'..='\u{FE2F}'
        | '\u{FEFF}'
        | '\u{1F3FB}'..='\u{1F3FF}'     // skin-tone modifiers
        | '\u{E0000}'..='\u{E007F}'     // tags
    )
}

/// The WinAnsiEncoding byte of `c`, if it has one. Windows-1252 with its five unassigned bytes and
/// the controls left out; U+00A0 and U+00AD are whitespace or dropped before this.
fn winansi(c: char) -> Option<u8> {
    let u = u32::from(c);
    match u {
        0x20..=0x7E | 0xA1..=0xAC | 0xAE..=0xFF => u8::try_from(u).ok(),
        _ => Some(match c {
            '\u{20AC}' => 0x80,
            '\u{201A}' => 0x82,
            '\u{0192}' => 0x83,
            '\u{201E}' => 0x84,
            '\u{2026}' => 0x85,
            '\u{2020}' => 0x86,
            '\u{2021}' => 0x87,
            '\u{02C6}' => 0x88,
            '\u{2030}' => 0x89,
            '\u{0160}' => 0x8A,
            '\u{2039}' => 0x8B,
            '\u{0152}' => 0x8C,
            '\u{017D}' => 0x8E,
            '\u{2018}' => 0x91,
            '\u{2019}' => 0x92,
            '\u{201C}' => 0x93,
            '\u{201D}' => 0x94,
            '\u{2022}' => 0x95,
            '\u{2013}' => 0x96,
            '\u{2014}' => 0x97,
            '\u{02DC}' => 0x98,
            '\u{2122}' => 0x99,
            '\u{0161}' => 0x9A,
            '\u{203A}' => 0x9B,
            '\u{0153}' => 0x9C,
            '\u{017E}' => 0x9E,
            '\u{0178}' => 0x9F,
            _ => return None,
        }),
    }
}

/// Latin Extended-A (U+0100 to U+017F) without its marks: each letter's base letter, in code
/// point order. `?` stands for the two ligatures, handled in [`fold`].
const LATIN_EXTENDED_A: &[u8; 128] = b"AaAaAaCcCcCcCcDd\
DdEeEeEeEeEeGgGg\
GgGgHhHhIiIiIiIi\
Ii??JjKkkLlLlLlL\
lLlNnNnNnnNnOoOo\
OoOoRrRrRrSsSsSs\
SsTtTtTtUuUuUuUu\
UuUuWwYyYZzZzZzs";

/// An ASCII stand-in for a character WinAnsiEncoding lacks, where one reads the same.
fn fold(c: char) -> Option<&'static [u8]> {
    match c {
        '\u{0132}' => Some(b"IJ"),
        '\u{0133}' => Some(b"ij"),
        '\u{0100}'..='\u{017F}' => {
            let i = usize::try_from(u32::from(c) - 0x100).ok()?;
            LATIN_EXTENDED_A.get(i..i + 1)
        }
        // Hyphens, the minus sign and the horizontal bar.
        '\u{2010}'..='\u{2012}' | '\u{2015}' | '\u{2212}' => Some(b"-"),
        '\u{2032}' => Some(b"'"),
        '\u{2033}' => Some(b"\""),
        '\u{2044}' => Some(b"/"),
        _ => None,
    }
}

// ---- the signature ------------------------------------------------------------------------------

/// The signature's pixels, grey or RGB, 8 bits, alpha flattened onto white, Deflate-compressed.
struct SignatureImage {
    width: u32,
    height: u32,
    rgb: bool,
    zlib: Zeroizing<Vec<u8>>,
}

impl SignatureImage {
    /// Its size on the page in points: as wide as allowed, unless that makes it too high.
    fn drawn_size(&self) -> (f32, f32) {
        let (w, h) = (self.width as f32, self.height.max(1) as f32);
        let width = SIGNATURE_MAX_W.min(SIGNATURE_MAX_H * w / h).max(1.0);
        (width, (width * h / w.max(1.0)).max(1.0))
    }
}

/// Decodes the signature PNG (any colour type and depth `png` reads) to 8-bit grey or RGB.
fn decode_signature(png_bytes: &[u8]) -> Result<SignatureImage, DeliveryError> {
    let bad = |_| DeliveryError::ConsentPdfSignature;
    let mut decoder = png::Decoder::new_with_limits(
        std::io::Cursor::new(png_bytes),
        png::Limits {
            bytes: SIGNATURE_DECODE_LIMIT,
        },
    );
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(bad)?;
    let size = reader
        .output_buffer_size()
        .ok_or(DeliveryError::ConsentPdfSignature)?;
    let mut buf = Zeroizing::new(vec![0u8; size]);
    let info = reader.next_frame(&mut buf).map_err(bad)?;
    let (width, height) = (info.width, info.height);
    if width == 0 || height == 0 || info.bit_depth != png::BitDepth::Eight {
        return Err(DeliveryError::ConsentPdfSignature);
    }
    let pixels = usize::try_from(u64::from(width) * u64::from(height))
        .map_err(|_| DeliveryError::ConsentPdfSignature)?;
    let line = info.line_size;
    let (channels, rgb) = match info.color_type {
        png::ColorType::Grayscale => (1, false),
        png::ColorType::GrayscaleAlpha => (2, false),
        png::ColorType::Rgb => (3, true),
        png::ColorType::Rgba => (4, true),
        // EXPAND turns a palette into RGB(A); anything else is not a PNG we can draw.
        png::ColorType::Indexed => return Err(DeliveryError::ConsentPdfSignature),
    };
    let out_channels = if rgb { 3 } else { 1 };
    let mut samples = Zeroizing::new(Vec::with_capacity(pixels * out_channels));
    let w = usize::try_from(width).map_err(|_| DeliveryError::ConsentPdfSignature)?;
    // `line` is at least 1 for a non-empty image; `max` keeps `chunks` from panicking regardless.
    for row in buf
        .chunks(line.max(1))
        .take(usize::try_from(height).unwrap_or(usize::MAX))
    {
        let row = row
            .get(..w * channels)
            .ok_or(DeliveryError::ConsentPdfSignature)?;
        for px in row.chunks_exact(channels) {
            match px {
                [g] => samples.push(*g),
                [g, a] => samples.push(over_white(*g, *a)),
                [r, g, b] => samples.extend_from_slice(&[*r, *g, *b]),
                [r, g, b, a] => samples.extend_from_slice(&[
                    over_white(*r, *a),
                    over_white(*g, *a),
                    over_white(*b, *a),
                ]),
                _ => return Err(DeliveryError::ConsentPdfSignature),
            }
        }
    }
    if samples.len() != pixels * out_channels {
        return Err(DeliveryError::ConsentPdfSignature);
    }
    Ok(SignatureImage {
        width,
        height,
        rgb,
        zlib: Zeroizing::new(compress_to_vec_zlib(&samples, DEFLATE_LEVEL)),
    })
}

/// A sample of opacity `alpha` drawn over white.
fn over_white(value: u8, alpha: u8) -> u8 {
    let (v, a) = (u32::from(value), u32::from(alpha));
    u8::try_from((v * a + 255 * (255 - a) + 127) / 255).unwrap_or(u8::MAX)
}

// ---- pages --------------------------------------------------------------------------------------

/// What is drawn on a page, in points from its bottom left.
enum Draw {
    /// One line of text with its baseline at `y`.
    Line {
        x: f32,
        y: f32,
        size: f32,
        runs: Vec<Run>,
    },
    /// The signature image in a thin frame, bottom left at (`x`, `y`).
    Signature { x: f32, y: f32, w: f32, h: f32 },
}

/// Places the blocks on as many pages as they need.
fn layout(blocks: &[Block]) -> Vec<Vec<Draw>> {
    let top = PAGE_H - MARGIN;
    let mut pages: Vec<Vec<Draw>> = vec![Vec::new()];
    let mut y = top;
    let new_page = |pages: &mut Vec<Vec<Draw>>, y: &mut f32| {
        pages.push(Vec::new());
        *y = top;
    };
    for block in blocks {
        match block {
            Block::Text {
                runs,
                size,
                indent,
                gap,
                keep_with_next,
            } => {
                let leading = size * 1.3;
                let lines = wrap(runs, *size, TEXT_W - indent);
                // A heading keeps at least two lines of what follows on its page.
                let keep = if *keep_with_next { 2.5 * 13.0 } else { 0.0 };
                if y < top && y - gap - leading - keep < BOTTOM {
                    new_page(&mut pages, &mut y);
                } else if y < top {
                    y -= gap;
                }
                for line in lines {
                    if y - leading < BOTTOM {
                        new_page(&mut pages, &mut y);
                    }
                    y -= leading;
                    if let Some(page) = pages.last_mut() {
                        page.push(Draw::Line {
                            x: MARGIN + indent,
                            y: y + (leading - size) + size * 0.22,
                            size: *size,
                            runs: line,
                        });
                    }
                }
            }
            Block::Signature { width, height, gap } => {
                if y < top && y - gap - height < BOTTOM {
                    new_page(&mut pages, &mut y);
                } else if y < top {
                    y -= gap;
                }
                y -= height;
                if let Some(page) = pages.last_mut() {
                    page.push(Draw::Signature {
                        x: MARGIN,
                        y,
                        w: *width,
                        h: *height,
                    });
                }
            }
        }
    }
    pages
}

/// Breaks runs into lines at most `width` points wide at `size` points: at spaces, and inside a
/// word only when the word alone is wider than a line (a digest, a hostile name). `\n` ends a line.
fn wrap(runs: &[Run], size: f32, width: f32) -> Vec<Vec<Run>> {
    let scale = size / 1000.0;
    let chars: Vec<(Font, u8)> = runs
        .iter()
        .flat_map(|(font, bytes)| bytes.iter().map(move |b| (*font, *b)))
        .collect();
    let mut lines: Vec<Vec<(Font, u8)>> = Vec::new();
    let mut line: Vec<(Font, u8)> = Vec::new();
    let mut line_w = 0.0f32;
    let mut rest = chars.as_slice();
    while let Some(&(font, first)) = rest.first() {
        if first == b'\n' {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line_w = 0.0;
            }
            rest = &rest[1..];
            continue;
        }
        if first == b' ' {
            rest = &rest[1..];
            continue;
        }
        let end = rest
            .iter()
            .position(|(_, b)| *b == b' ' || *b == b'\n')
            .unwrap_or(rest.len());
        let (word, after) = rest.split_at(end);
        rest = after;
        let word_w: f32 = word.iter().map(|(f, b)| f.width(*b) * scale).sum();
        if !line.is_empty() {
            let space = font.width(b' ') * scale;
            if line_w + space + word_w <= width {
                line.push((font, b' '));
                line.extend_from_slice(word);
                line_w += space + word_w;
                continue;
            }
            lines.push(std::mem::take(&mut line));
            line_w = 0.0;
        }
        if word_w <= width {
            line.extend_from_slice(word);
            line_w = word_w;
        } else {
            for &(f, b) in word {
                let w = f.width(b) * scale;
                if line_w + w > width && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0.0;
                }
                line.push((f, b));
                line_w += w;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.into_iter().map(|l| runs_of(&l)).collect()
}

/// Consecutive characters in the same font, joined.
fn runs_of(chars: &[(Font, u8)]) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    for &(font, b) in chars {
        match runs.last_mut() {
            Some((f, bytes)) if *f == font => bytes.push(b),
            _ => runs.push((font, vec![b])),
        }
    }
    runs
}

/// The width of `bytes` in `font` at `size`, in points.
fn text_width(font: Font, bytes: &[u8], size: f32) -> f32 {
    bytes.iter().map(|b| font.width(*b)).sum::<f32>() * size / 1000.0
}

// ---- the file -----------------------------------------------------------------------------------

/// Writes the pages as a PDF 1.7 file: the standard Helvetica and Helvetica-Bold (not embedded,
/// WinAnsiEncoding), the signature as one image XObject, each page's content Deflate-compressed,
/// and a footer on every page. The Info dictionary holds the title, the producer and the
/// record's time, nothing about the patient.
fn write_pdf(
    pages: &[Vec<Draw>],
    signature: Option<&SignatureImage>,
    footer: &[u8],
    recorded_at: Timestamp,
    file_id: [u8; 16],
) -> Result<Zeroizing<Vec<u8>>, DeliveryError> {
    let too_many = || DeliveryError::ConsentPdfEncode {
        detail: "too many pages",
    };
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let regular_id = Ref::new(3);
    let bold_id = Ref::new(4);
    let info_id = Ref::new(5);
    let image_id = Ref::new(6);
    // Page i is object 7 + 2i, its content 8 + 2i: every id distinct and positive, as pdf-writer
    // requires (it panics otherwise).
    let page_ids: Vec<(Ref, Ref)> = (0..pages.len())
        .map(|i| {
            let page = i32::try_from(i)
                .ok()
                .and_then(|i| i.checked_mul(2))
                .and_then(|i| i.checked_add(7))
                .ok_or_else(too_many)?;
            let content = page.checked_add(1).ok_or_else(too_many)?;
            Ok((Ref::new(page), Ref::new(content)))
        })
        .collect::<Result<_, DeliveryError>>()?;
    let total = pages.len();

    let contents: Vec<Zeroizing<Vec<u8>>> = pages
        .iter()
        .enumerate()
        .map(|(i, draws)| {
            let page_footer = [footer, format!(" - page {} of {total}", i + 1).as_bytes()].concat();
            let raw = Zeroizing::new(page_content(draws, &page_footer).into_vec());
            Zeroizing::new(compress_to_vec_zlib(&raw, DEFLATE_LEVEL))
        })
        .collect();

    let capacity = 16 * 1024
        + contents.iter().map(|c| c.len() + 256).sum::<usize>()
        + signature.map_or(0, |s| s.zlib.len());
    let mut pdf = Pdf::with_capacity(capacity);
    pdf.set_file_id((file_id.to_vec(), file_id.to_vec()));
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().map(|(page, _)| *page))
        .count(i32::try_from(total).map_err(|_| too_many())?);
    for (page_id, content_id) in &page_ids {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(tree_id);
        page.contents(*content_id);
        let mut resources = page.resources();
        resources
            .fonts()
            .pair(Font::Regular.resource(), regular_id)
            .pair(Font::Bold.resource(), bold_id);
        if signature.is_some() {
            resources.x_objects().pair(Name(b"Sig"), image_id);
        }
        resources.finish();
        page.finish();
    }
    for (id, base) in [
        (regular_id, Name(b"Helvetica")),
        (bold_id, Name(b"Helvetica-Bold")),
    ] {
        pdf.type1_font(id)
            .base_font(base)
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    if let Some(sig) = signature {
        let dims = i32::try_from(sig.width)
            .ok()
            .zip(i32::try_from(sig.height).ok())
            .ok_or(DeliveryError::ConsentPdfSignature)?;
        let mut image = pdf.image_xobject(image_id, &sig.zlib);
        image.filter(Filter::FlateDecode);
        image.width(dims.0);
        image.height(dims.1);
        if sig.rgb {
            image.color_space().device_rgb();
        } else {
            image.color_space().device_gray();
        }
        image.bits_per_component(8);
        image.finish();
    }
    for ((_, content_id), data) in page_ids.iter().zip(&contents) {
        pdf.stream(*content_id, data).filter(Filter::FlateDecode);
    }
    let t = utc(recorded_at).get();
    pdf.document_info(info_id)
        .title(TextStr(CONSENT_DOCUMENT_TITLE))
        .creator(TextStr("WardCam"))
        .producer(TextStr(concat!("WardCam ", env!("CARGO_PKG_VERSION"))))
        .creation_date(
            Date::new(u16::try_from(t.year()).unwrap_or(1970))
                .month(u8::from(t.month()))
                .day(t.day())
                .hour(t.hour())
                .minute(t.minute())
                .second(t.second())
                .utc_offset_hour(0),
        );
    Ok(Zeroizing::new(pdf.finish()))
}

/// One page's content stream: its lines, the signature, and the footer (cut to the line's width).
fn page_content(draws: &[Draw], footer: &[u8]) -> pdf_writer::Buf {
    let mut content = Content::new();
    for draw in draws {
        match draw {
            Draw::Line { x, y, size, runs } => {
                content.begin_text();
                content.next_line(*x, *y);
                for (font, bytes) in runs {
                    content.set_font(font.resource(), *size);
                    content.show(Str(bytes));
                }
                content.end_text();
            }
            Draw::Signature { x, y, w, h } => {
                content.save_state();
                content.transform([*w, 0.0, 0.0, *h, *x, *y]);
                content.x_object(Name(b"Sig"));
                content.restore_state();
                content.save_state();
                content.set_stroke_gray(0.6);
                content.set_line_width(0.5);
                content.rect(*x - 2.0, *y - 2.0, *w + 4.0, *h + 4.0);
                content.stroke();
                content.restore_state();
            }
        }
    }
    let size = 8.0;
    let mut cut = footer.len();
    while cut > 0 && text_width(Font::Regular, &footer[..cut], size) > TEXT_W {
        cut -= 1;
    }
    content.set_fill_gray(0.35);
    content.begin_text();
    content.next_line(MARGIN, FOOTER_Y);
    content.set_font(Font::Regular.resource(), size);
    content.show(Str(&footer[..cut]));
    content.end_text();
    content.finish()
}

/// The signature decoded as the PDF embeds it (for the tests): size, whether RGB, the samples.
#[cfg(test)]
pub(crate) fn decode_signature_for_tests(
    png_bytes: &[u8],
) -> Result<(u32, u32, bool, Vec<u8>), DeliveryError> {
    let image = decode_signature(png_bytes)?;
    let samples = miniz_oxide::inflate::decompress_to_vec_zlib(&image.zlib)
        .map_err(|_| DeliveryError::ConsentPdfSignature)?;
    Ok((image.width, image.height, image.rgb, samples))
}

/// Wraps `text` as body text (for the tests): the lines' bytes and widths.
#[cfg(test)]
pub(crate) fn wrap_for_tests(text: &[u8], size: f32, width: f32) -> Vec<(Vec<u8>, f32)> {
    wrap(&[(Font::Regular, text.to_vec())], size, width)
        .into_iter()
        .map(|runs| {
            let bytes: Vec<u8> = runs.into_iter().flat_map(|(_, b)| b).collect();
            let w = text_width(Font::Regular, &bytes, size);
            (bytes, w)
        })
        .collect()
}

// ---- font metrics -------------------------------------------------------------------------------

/// Advance widths of Helvetica for WinAnsiEncoding bytes 32 to 255, in thousandths of the font
/// size, from Adobe's AFM (as groff's `devps/HR` carries it); 0 where the encoding has no glyph.
#[rustfmt::skip]
const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0,
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667,
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    400, 584, 333, 333, 333, 578, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

/// The same for Helvetica-Bold (groff's `devps/HB`).
#[rustfmt::skip]
const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0,
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667,
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278,
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];
