//! Why a photo (or a visit's consent) could not be made into its DICOM object, in words a
//! clinician or the device manager can act on. No message repeats anything about the patient.

/// A photo refused or failed on its way to a DICOM object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// The photo has no body site: PACS files and finds images by it.
    #[error("Set the body site of this photo before sending it.")]
    Unlabelled,
    /// The consent it was taken under was withdrawn.
    #[error("Consent for this photo was withdrawn: it cannot be sent.")]
    Withdrawn,
    /// Neither an NHS number nor a hospital number was kept for the patient.
    #[error("This photo has no NHS or hospital number for the patient, so PACS could not file it. Tell IT.")]
    NoPatientId,
    /// A JPEG that cannot be decoded to re-encode it as 8-bit baseline (12-bit, arithmetic coding,
    /// hierarchical).
    #[error(
        "This photo's JPEG encoding ({detail}) cannot be sent to PACS yet. It was kept; tell IT."
    )]
    UnsupportedJpeg {
        /// What kind of JPEG it is.
        detail: &'static str,
    },
    /// The photo would have to be re-encoded (turned upright, or converted to baseline JPEG) and
    /// is too large to decode safely on the phone, or too large for a JPEG.
    #[error(
        "This photo is too large for WardCam to prepare for PACS (the limit is {} megapixels \
         and 65,535 pixels a side). It was kept; tell IT.",
        super::pixels::MAX_REENCODE_PIXELS / 1_000_000
    )]
    ImageTooLarge,
    /// The image bytes are not a readable JPEG or PNG, or not the size its manifest says.
    #[error("This photo's image is damaged ({detail}). It was kept; tell IT.")]
    ImageDamaged {
        /// What is wrong, without any image content.
        detail: &'static str,
    },
    /// The DICOM library refused to build or write the object.
    #[error(
        "WardCam could not build the DICOM file for this photo ({detail}). It was kept; tell IT."
    )]
    Encode {
        /// The step that failed (the library's own message is dropped: it may quote values).
        detail: &'static str,
    },
    /// The consent record given is not the one the visit sealed (another id or digest).
    #[error("The consent record found for this visit is not the one it sealed, so the consent was not sent. It was kept; tell IT.")]
    ConsentPdfMismatch,
    /// The consent record names another patient than the visit it is sent with.
    #[error("This consent record is for another patient than the visit's, so it was not sent. It was kept; tell IT.")]
    ConsentPdfWrongPatient,
    /// The consent text on the phone is not the one the patient was shown (another version or
    /// other words), so the document would print the wrong wording.
    #[error("The consent text this patient was shown is no longer on this phone, so the consent document could not be made. It was kept; tell IT.")]
    ConsentPdfTextMismatch,
    /// The consent's signature could not be rendered or read.
    #[error("The signature on this consent could not be read, so the consent document could not be made. It was kept; tell IT.")]
    ConsentPdfSignature,
    /// The consent's PDF or its DICOM object could not be written.
    #[error("WardCam could not build the consent document ({detail}). It was kept; tell IT.")]
    ConsentPdfEncode {
        /// The step that failed; fixed words, never a value.
        detail: &'static str,
    },
}

impl DeliveryError {
    /// A stable dotted code for the UI and the device manager's logs.
    pub fn code(&self) -> &'static str {
        match self {
            DeliveryError::Unlabelled => "delivery.unlabelled",
            DeliveryError::Withdrawn => "delivery.withdrawn",
            DeliveryError::NoPatientId => "delivery.no_patient_id",
            DeliveryError::UnsupportedJpeg { .. } => "delivery.unsupported_jpeg",
            DeliveryError::ImageTooLarge => "delivery.image_too_large",
            DeliveryError::ImageDamaged { .. } => "delivery.image_damaged",
            DeliveryError::Encode { .. } => "delivery.encode_failed",
            DeliveryError::ConsentPdfMismatch => "delivery.consent_pdf_consent_mismatch",
            DeliveryError::ConsentPdfWrongPatient => "delivery.consent_pdf_wrong_patient",
            DeliveryError::ConsentPdfTextMismatch => "delivery.consent_pdf_text_mismatch",
            DeliveryError::ConsentPdfSignature => "delivery.consent_pdf_signature_unreadable",
            DeliveryError::ConsentPdfEncode { .. } => "delivery.consent_pdf_encode_failed",
        }
    }

    /// Every code [`Self::code`] returns, for the list the shell sends the UI (checked against
    /// `ui/src/lib/errors/codes.ts`); a test builds every variant and finds its code here.
    pub const CODES: &'static [&'static str] = &[
        "delivery.unlabelled",
        "delivery.withdrawn",
        "delivery.no_patient_id",
        "delivery.unsupported_jpeg",
        "delivery.image_too_large",
        "delivery.image_damaged",
        "delivery.encode_failed",
        "delivery.consent_pdf_consent_mismatch",
        "delivery.consent_pdf_wrong_patient",
        "delivery.consent_pdf_text_mismatch",
        "delivery.consent_pdf_signature_unreadable",
        "delivery.consent_pdf_encode_failed",
    ];
}
