//! The one EXIF fact intake keeps: orientation. It is read with `kamadak-exif` (only the primary
//! image's IFD matters) and written back as a minimal big-endian TIFF with a single entry.

/// The EXIF identifier that opens an APP1 EXIF payload.
pub(crate) const EXIF_ID: &[u8] = b"Exif\0\0";

/// The Orientation tag (1..=8) from a JPEG APP1 payload, or `None` when it is not EXIF, has no
/// orientation, or cannot be parsed. A damaged EXIF is not worth refusing a photo over: it is
/// dropped anyway, and the photo is then shown as stored.
pub(crate) fn orientation_from_app1(payload: &[u8]) -> Option<u8> {
    orientation_from_tiff(payload.strip_prefix(EXIF_ID)?)
}

/// The Orientation tag from raw TIFF-structured EXIF (a PNG `eXIf` chunk).
pub(crate) fn orientation_from_tiff(tiff: &[u8]) -> Option<u8> {
    let exif = exif::Reader::new().read_raw(tiff.to_vec()).ok()?;
    let field = exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)?;
    let value = field.value.get_uint(0)?;
    u8::try_from(value).ok().filter(|o| (1..=8).contains(o))
}

/// A TIFF structure holding only IFD0 with one Orientation entry.
pub(crate) fn minimal_tiff(orientation: u8) -> Vec<u8> {
    let mut t = Vec::with_capacity(26);
    t.extend_from_slice(b"MM\0\x2a\0\0\0\x08"); // big-endian, IFD0 at offset 8
    t.extend_from_slice(&[0, 1]); // one entry
    t.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0]); // SHORT x1
    t.extend_from_slice(&[0, 0, 0, 0]); // no next IFD
    t
}

/// An APP1 payload with the minimal TIFF.
pub(crate) fn minimal_exif(orientation: u8) -> Vec<u8> {
    let mut p = EXIF_ID.to_vec();
    p.extend_from_slice(&minimal_tiff(orientation));
    p
}
