//! Why a DICOMweb reply could not be read, in words the trust's IT staff can act on. No variant
//! carries anything from the reply: it may hold patient data.

/// A DICOMweb reply (STOW-RS JSON, WADO-RS multipart, or the DICOM instance in it) that could not
/// be read. [`ReplyError::code`] gives a stable dotted code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// The STOW-RS reply is larger than [`super::MAX_STOW_REPLY_BYTES`].
    #[error("The PACS's storage reply was too large to read (over 32 MiB). Ask IT to check the PACS's DICOMweb (STOW-RS) service.")]
    TooLarge,
    /// The STOW-RS reply is not JSON, or is nested deeper than the JSON reader allows.
    #[error("The PACS's storage reply was not readable JSON. Ask IT to check that the PACS answers STOW-RS with application/dicom+json.")]
    NotJson,
    /// JSON, but not one DICOM JSON data set (PS3.18 F.2): a key that is not a tag, an attribute
    /// or sequence of the wrong shape, or several data sets.
    #[error("The PACS's storage reply was JSON but not a DICOM JSON data set. Ask IT to check the PACS's STOW-RS reply format.")]
    NotDicomJson,
    /// A Failure Reason or Warning Reason is not a number from 0 to 65535.
    #[error("The PACS's storage reply had a status code that is not a number from 0 to 65535. Ask IT to check the PACS's STOW-RS reply format.")]
    BadStatusCode,
    /// A sequence in the STOW-RS reply lists more than [`super::MAX_ITEMS`] instances.
    #[error("The PACS's storage reply listed more than 10,000 instances, far more than were sent. Ask IT to check the PACS's STOW-RS service.")]
    TooManyItems,
    /// The WADO-RS reply's Content-Type is not `multipart/related`, or cannot be read.
    #[error("The PACS's retrieve reply was not multipart/related. Ask IT to check the PACS's DICOMweb (WADO-RS) service.")]
    NotMultipart,
    /// The multipart Content-Type has no boundary, or one that is empty, longer than 70
    /// characters or not printable ASCII (RFC 2046 §5.1.1).
    #[error("The PACS's retrieve reply had no usable multipart boundary. Ask IT to check the PACS's WADO-RS Content-Type header.")]
    BadBoundary,
    /// The multipart body holds no part under its boundary.
    #[error("The PACS's retrieve reply held no parts. Ask IT to check that the instance exists on the PACS.")]
    NoParts,
    /// The multipart body has no closing delimiter: it was probably cut short.
    #[error("The PACS's retrieve reply ended before its closing boundary: the transfer was probably cut short. Try again; if it persists, ask IT to check the network and the PACS.")]
    Unterminated,
    /// A part's header block has a line that is not a header, or a Content-Type that is not text.
    #[error("A part of the PACS's retrieve reply had unreadable headers. Ask IT to check the PACS's WADO-RS service.")]
    BadPartHeaders,
    /// The instance is not a DICOM Part-10 file (no `DICM` marker).
    #[error("The PACS returned something that is not a DICOM file. Ask IT to check the PACS's WADO-RS service.")]
    NotDicom,
    /// The DICOM file is damaged: an element runs past its end, a sequence is malformed or nested
    /// too deeply, or the DICOM reader refused it.
    #[error("The PACS returned a damaged DICOM file. Try again; if it persists, ask IT to check the PACS.")]
    DicomDamaged,
    /// A transfer syntax WardCam does not read back (unknown, video, or private).
    #[error("The PACS returned the image in a transfer syntax WardCam cannot check. Ask IT to let WADO-RS return the stored transfer syntax (transfer-syntax=*).")]
    UnsupportedTransferSyntax,
    /// The pixel data is native (uncompressed), not encapsulated, so the photo was transcoded.
    #[error("The PACS returned the image uncompressed, not as the JPEG that was sent. Ask IT to let WADO-RS return the stored transfer syntax (transfer-syntax=*).")]
    NativePixelData,
    /// The instance has no Pixel Data element.
    #[error("The PACS returned the instance without its image. Ask IT to check the PACS's WADO-RS service.")]
    NoPixelData,
    /// The encapsulated pixel data holds no fragments.
    #[error("The PACS returned an instance whose image is empty. Ask IT to check the PACS.")]
    NoFragments,
    /// The Basic Offset Table does not point at fragment boundaries, or lists too few frames.
    #[error("The PACS returned an image whose frame table is damaged. Ask IT to check the PACS.")]
    BadOffsetTable,
    /// Several frames, no offset table, and not one fragment per frame: frame 1 cannot be told
    /// apart.
    #[error("The PACS returned a multi-frame image whose first frame cannot be found. Ask IT to check the PACS.")]
    FramesAmbiguous,
}

impl ReplyError {
    /// A stable dotted code for the UI and the device manager's logs.
    pub fn code(&self) -> &'static str {
        match self {
            ReplyError::TooLarge => "reply.too_large",
            ReplyError::NotJson => "reply.not_json",
            ReplyError::NotDicomJson => "reply.not_dicom_json",
            ReplyError::BadStatusCode => "reply.bad_status_code",
            ReplyError::TooManyItems => "reply.too_many_items",
            ReplyError::NotMultipart => "reply.not_multipart",
            ReplyError::BadBoundary => "reply.bad_boundary",
            ReplyError::NoParts => "reply.no_parts",
            ReplyError::Unterminated => "reply.unterminated",
            ReplyError::BadPartHeaders => "reply.bad_part_headers",
            ReplyError::NotDicom => "reply.not_dicom",
            ReplyError::DicomDamaged => "reply.dicom_damaged",
            ReplyError::UnsupportedTransferSyntax => "reply.unsupported_transfer_syntax",
            ReplyError::NativePixelData => "reply.native_pixel_data",
            ReplyError::NoPixelData => "reply.no_pixel_data",
            ReplyError::NoFragments => "reply.no_fragments",
            ReplyError::BadOffsetTable => "reply.bad_offset_table",
            ReplyError::FramesAmbiguous => "reply.frames_ambiguous",
        }
    }
}
