//! Why a photo could not be made into its DICOM object, in words a clinician or the device
//! manager can act on. No message repeats anything about the patient.

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
    /// The stored pixels are turned (EXIF orientation other than 1); turning them without
    /// re-encoding is a later step.
    #[error("This photo is stored turned on its side and WardCam cannot yet send it upright. It was kept; tell IT.")]
    NeedsRotation {
        /// The EXIF orientation (2 to 8).
        orientation: u8,
    },
    /// A PNG: only baseline JPEG is sent for now.
    #[error("This photo is a PNG, which WardCam cannot send to PACS yet. It was kept; tell IT.")]
    UnsupportedFormat,
    /// A JPEG other than 8-bit baseline (progressive, lossless, 12-bit, CMYK, unusual sampling).
    #[error(
        "This photo's JPEG encoding ({detail}) cannot be sent to PACS yet. It was kept; tell IT."
    )]
    UnsupportedJpeg {
        /// What kind of JPEG it is.
        detail: &'static str,
    },
    /// The image bytes are not a readable JPEG, or not the size its manifest says.
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
}

impl DeliveryError {
    /// A stable dotted code for the UI and the device manager's logs.
    pub fn code(&self) -> &'static str {
        match self {
            DeliveryError::Unlabelled => "delivery.unlabelled",
            DeliveryError::Withdrawn => "delivery.withdrawn",
            DeliveryError::NoPatientId => "delivery.no_patient_id",
            DeliveryError::NeedsRotation { .. } => "delivery.needs_rotation",
            DeliveryError::UnsupportedFormat => "delivery.unsupported_format",
            DeliveryError::UnsupportedJpeg { .. } => "delivery.unsupported_jpeg",
            DeliveryError::ImageDamaged { .. } => "delivery.image_damaged",
            DeliveryError::Encode { .. } => "delivery.encode_failed",
        }
    }
}
