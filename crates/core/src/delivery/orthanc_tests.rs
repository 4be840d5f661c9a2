//! The courier against a real PACS: `tests/servers/orthanc/server.mjs` (Orthanc 1.10 with its
//! DICOMweb plugin behind a TLS front with its own CA and pinned key, basic auth, and with
//! `--faults` one front per TLS or HTTP fault). One server for the whole test binary, started with
//! `--exit-with-stdin` so it goes with this process. Without Orthanc the tests print why and pass,
//! unless `WARDCAM_REQUIRE_SERVERS=1` (set by `scripts/test`, so CI cannot skip them).
//!
//! Orthanc is shared by every test in the binary (and the children of the delivery crash
//! campaign), so tests count only their own photos' SOP Instance UIDs, and every test that sends
//! holds [`shared`]; the one test that counts STOW-RS requests in the server's request log (which
//! does not say which study a POST carried) holds [`exclusive`] while it does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
use dicom_core::Tag;
use dicom_dictionary_std::{tags, StandardDataDictionary};
use dicom_object::InMemDicomObject;
use zeroize::Zeroizing;

use super::{
    reply, uids, vl_photographic_image, Courier, DrainReport, OutboxEvent, Outcome, Pacs, Phase,
    Timeouts, BACKOFF_BASE, NHS_NUMBER_ISSUER, SOP_CLASS_UID, TRANSFER_SYNTAX_UID,
};
use crate::endpoint::EndpointConfig;
use crate::patient::testing::Canned;
use crate::review::{find, Label, Laterality};
use crate::session::{Purpose, SessionPolicy, UnlockMethod};
use crate::test_servers::{self, Kind};
use crate::vault::danger::MemoryKeyStore;
use crate::vault::{ItemKind, Timestamp, Vault, VaultError};
use crate::visit::testing;
use crate::visit::{
    encode, DeliveryJob, FileSystemStorage, LocalState, PhotoId, PhotoManifest, ReceiptRecord,
    RecoveryReport, SystemClock, Ward,
};
/// A running Orthanc test server.
pub(crate) struct Server {
    pub(crate) ready: serde_json::Value,
    _child: Mutex<Child>,
}

impl Server {
    /// The endpoint configuration of the good front, or of fault `mode`.
    pub(crate) fn config(&self, mode: &str) -> EndpointConfig {
        let json = std::fs::read(test_servers::endpoint_file(&self.ready, mode)).unwrap();
        EndpointConfig::from_json(&json).unwrap()
    }

    /// A PACS client for `mode` with short timeouts (the stall fronts hold a request open).
    pub(crate) fn pacs(&self, mode: &str) -> Pacs {
        Pacs::from_config(&self.config(mode))
            .unwrap()
            .with_timeouts(Timeouts {
                base: Duration::from_secs(4),
                per_mib: Duration::from_secs(1),
            })
    }

    /// Orthanc's own REST API (plain HTTP on loopback, for inspection only), with the credential.
    pub(crate) fn orthanc_get(&self, path: &str) -> Vec<u8> {
        let base = self.ready["orthanc"].as_str().unwrap();
        let user = self.ready["username"].as_str().unwrap();
        let pass = self.ready["password"].as_str().unwrap();
        let out = Command::new("curl")
            .args([
                "-sf",
                "-u",
                &format!("{user}:{pass}"),
                &format!("{base}{path}"),
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "curl {path} failed");
        out.stdout
    }

    /// Deletes through Orthanc's own REST API (a PACS losing or purging an instance).
    pub(crate) fn orthanc_delete(&self, path: &str) {
        let base = self.ready["orthanc"].as_str().unwrap();
        let user = self.ready["username"].as_str().unwrap();
        let pass = self.ready["password"].as_str().unwrap();
        let out = Command::new("curl")
            .args([
                "-sf",
                "-X",
                "DELETE",
                "-u",
                &format!("{user}:{pass}"),
                &format!("{base}{path}"),
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "curl DELETE {path} failed");
    }

    /// Orthanc's own id of the instance stored under `sop`.
    pub(crate) fn orthanc_id(&self, sop: &str) -> String {
        let list: serde_json::Value =
            serde_json::from_slice(&self.orthanc_get("/instances?expand")).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .find(|i| i["MainDicomTags"]["SOPInstanceUID"] == sop)
            .unwrap_or_else(|| panic!("Orthanc has no instance {sop}"))["ID"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The SOP Instance UIDs Orthanc holds, one per stored instance.
    pub(crate) fn stored_sop_uids(&self) -> Vec<String> {
        let list: serde_json::Value =
            serde_json::from_slice(&self.orthanc_get("/instances?expand")).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .map(|i| {
                i["MainDicomTags"]["SOPInstanceUID"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }

    /// How many instances Orthanc holds under `sop` (a photo's SOP Instance UID).
    pub(crate) fn copies(&self, sop: &str) -> usize {
        self.stored_sop_uids().iter().filter(|u| *u == sop).count()
    }

    /// The DICOM Part-10 file Orthanc stored under `sop`, as its REST API gives it.
    pub(crate) fn instance_file(&self, sop: &str) -> Vec<u8> {
        self.orthanc_get(&format!("/instances/{}/file", self.orthanc_id(sop)))
    }

    /// The request log so far (`{"mode", "method", "url", "content_type"}` per request that got
    /// past TLS on any front), complete lines only.
    pub(crate) fn log(&self) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(self.ready["log"].as_str().unwrap()).unwrap();
        let complete = text.rfind('\n').map_or("", |i| &text[..i]);
        complete
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

fn start() -> Result<Server, String> {
    let started = test_servers::start(Kind::Orthanc, &["--faults"], Stdio::null())?;
    Ok(Server {
        ready: started.ready,
        _child: Mutex::new(started.child),
    })
}

/// The shared server, or `None` (with the reason printed) where it cannot run and need not.
pub(crate) fn server() -> Option<&'static Server> {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    test_servers::shared(&SERVER, Kind::Orthanc, start)
}

/// Serialises the one test that counts STOW-RS requests in the server's log against everything
/// else that sends (see the module documentation). Poisoning is ignored: a failed test has
/// already said why.
static GATE: RwLock<()> = RwLock::new(());

/// Held while sending to the shared Orthanc.
pub(crate) fn shared() -> RwLockReadGuard<'static, ()> {
    GATE.read().unwrap_or_else(PoisonError::into_inner)
}

/// Held while counting requests in the shared server's log: nothing else sends meanwhile.
pub(crate) fn exclusive() -> RwLockWriteGuard<'static, ()> {
    GATE.write().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `f` on a runtime of its own (two workers), so a test can hold a gate guard around it
/// without holding a lock across an `await`.
pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A ward with the test's session policy, system clock and storage.
pub(crate) fn new_ward() -> Ward {
    Ward::with(
        SessionPolicy {
            idle_timeout_ms: 600_000,
            allow_development_unlock: true,
        },
        Arc::new(SystemClock::new()),
        Arc::new(FileSystemStorage),
    )
}

/// A ward on a fresh vault with labelled photos queued for one patient, the visit ended. The
/// keystore and the vault's folder are kept, so the vault can be opened again as after a restart.
pub(crate) struct Queued {
    pub(crate) _dir: tempfile::TempDir,
    pub(crate) vault_dir: PathBuf,
    pub(crate) keys: MemoryKeyStore,
    pub(crate) ward: Arc<Ward>,
    pub(crate) photos: Vec<PhotoId>,
}

/// `n` photos (`testing::jpeg(seed + i)`), queued.
pub(crate) fn queued(n: usize, seed: u64) -> Queued {
    let images: Vec<Vec<u8>> = (0..n).map(|i| testing::jpeg(seed + i as u64)).collect();
    queued_images(&images)
}

/// One photo per image, each labelled forearm (SNOMED CT 14975008), left, and queued.
pub(crate) fn queued_images(images: &[Vec<u8>]) -> Queued {
    let dir = tempfile::tempdir().unwrap();
    let vault_dir = dir.path().join("vault");
    let keys = MemoryKeyStore::new();
    let ward = new_ward();
    let vault = Vault::open_or_create(&vault_dir, &keys).unwrap();
    ward.attach_vault(Arc::new(vault)).unwrap();
    ward.unlock(UnlockMethod::Development).unwrap();
    ward.set_pin(&Zeroizing::new("482916".to_owned()), "Dr A Jones", None)
        .unwrap();
    ward.identify(testing::candidate(testing::BAND)).unwrap();
    ward.confirm().unwrap();
    ward.record_consent(testing::verbal()).unwrap();
    ward.start_capture().unwrap();
    let mut photos = Vec::new();
    for image in images {
        let p = ward.capture(image, Purpose::Care).unwrap();
        ward.label(
            p.id,
            Label::new("14975008", Laterality::Left, "graze").unwrap(),
        )
        .unwrap();
        photos.push(p.id);
    }
    ward.review().unwrap();
    ward.queue().unwrap();
    ward.end_visit().unwrap();
    Queued {
        _dir: dir,
        vault_dir,
        keys,
        ward: Arc::new(ward),
        photos,
    }
}

impl Queued {
    /// The app restarts: this ward is dropped (nothing of it runs again) and a fresh one opens and
    /// recovers the same vault.
    pub(crate) fn reopen(&mut self) -> RecoveryReport {
        let old = std::mem::replace(&mut self.ward, Arc::new(new_ward()));
        assert_eq!(Arc::strong_count(&old), 1, "the old ward is still in use");
        drop(old);
        let vault = Vault::open(&self.vault_dir, &self.keys).unwrap();
        let report = self.ward.attach_vault(Arc::new(vault)).unwrap();
        self.ward.unlock(UnlockMethod::Development).unwrap();
        report
    }

    pub(crate) fn manifest(&self, p: PhotoId) -> PhotoManifest {
        self.ward
            .manifest(p)
            .unwrap()
            .unwrap_or_else(|| panic!("{p} has no manifest"))
    }

    /// Each photo's sealed image, in the order of `photos`.
    pub(crate) fn images(&self) -> Vec<Zeroizing<Vec<u8>>> {
        let vault = self.ward.vault().unwrap();
        self.photos
            .iter()
            .map(|p| vault.unseal(self.manifest(*p).image).unwrap())
            .collect()
    }

    /// Every photo still here whole: its manifest in the outbox in `state`, its image the one
    /// sealed at capture, its thumbnail sealed.
    fn all_kept(&self, images: &[Zeroizing<Vec<u8>>], state: LocalState, when: &str) {
        let vault = self.ward.vault().unwrap();
        for (p, image) in self.photos.iter().zip(images) {
            let m = self
                .ward
                .manifest(*p)
                .unwrap()
                .unwrap_or_else(|| panic!("{when}: {p} was shredded"));
            assert_eq!(m.state, state, "{when}: {p}");
            assert_eq!(&vault.unseal(m.image).unwrap()[..], &image[..], "{when}");
            assert!(!vault.unseal(m.thumbnail).unwrap().is_empty(), "{when}");
        }
    }

    /// The deletion receipts sealed for `p`.
    fn deletion_receipts(&self, p: PhotoId) -> Vec<ReceiptRecord> {
        self.ward
            .receipts()
            .unwrap()
            .into_iter()
            .filter(|r| matches!(r, ReceiptRecord::Deletion { photo_id, .. } if *photo_id == p))
            .collect()
    }

    /// Every photo delivered: shredded here (manifest, image and thumbnail gone, only receipts
    /// and the PIN left), one deletion receipt each and one consent receipt naming them all, and
    /// exactly one copy of each on the server.
    fn all_delivered(&self, s: &Server, when: &str) {
        for p in &self.photos {
            assert!(
                self.ward.manifest(*p).unwrap().is_none(),
                "{when}: {p} not shredded"
            );
            assert_eq!(self.deletion_receipts(*p).len(), 1, "{when}: {p}");
            assert_eq!(
                s.copies(&uids::sop_instance_uid(*p)),
                1,
                "{when}: {p} on the server"
            );
        }
        let receipts = self.ward.receipts().unwrap();
        let consents: Vec<usize> = receipts
            .iter()
            .filter_map(|r| match r {
                ReceiptRecord::Consent { delivered, .. } => Some(delivered.len()),
                ReceiptRecord::Deletion { .. } | ReceiptRecord::Withdrawn { .. } => None,
            })
            .collect();
        assert_eq!(consents, [self.photos.len()], "{when}: consent receipts");
        let kinds: Vec<ItemKind> = self
            .ward
            .vault()
            .unwrap()
            .list()
            .unwrap()
            .iter()
            .map(|m| m.kind)
            .collect();
        assert!(
            kinds.iter().all(|k| matches!(
                k,
                ItemKind::Receipt | ItemKind::ClinicianPin | ItemKind::AuditKey
            )),
            "{when}: {kinds:?}"
        );
    }
}

pub(crate) async fn drain(courier: &Courier, ward: &Arc<Ward>) -> DrainReport {
    drain_with(courier, ward, false).await.0
}

/// One drain (`force` lifts every wait), with the events it sent.
pub(crate) async fn drain_with(
    courier: &Courier,
    ward: &Arc<Ward>,
    force: bool,
) -> (DrainReport, Vec<OutboxEvent>) {
    let events = Mutex::new(Vec::new());
    let record = |e: OutboxEvent| events.lock().unwrap().push(e);
    let report = courier
        .drain::<Canned>(ward, None, force, &record)
        .await
        .unwrap();
    (report, events.into_inner().unwrap())
}

#[test]
fn a_queued_photo_is_delivered_verified_and_shredded() {
    let Some(s) = server() else { return };
    let _gate = shared();
    let q = queued(2, 100);
    let courier = Courier::new(s.pacs("good"));
    let report = block_on(drain(&courier, &q.ward));
    assert_eq!(report.delivered, 2, "{report:?}");
    assert_eq!(report.server_problem, None);
    for p in &q.photos {
        assert!(q.ward.manifest(*p).unwrap().is_none());
    }
    let vault = q.ward.vault().unwrap();
    let kinds: Vec<ItemKind> = vault.list().unwrap().iter().map(|m| m.kind).collect();
    // Only receipts remain (two deletions and the consent's), and the clinician's PIN.
    assert!(
        kinds.iter().all(|k| matches!(
            k,
            ItemKind::Receipt | ItemKind::ClinicianPin | ItemKind::AuditKey
        )),
        "{kinds:?}"
    );
    let receipts = q.ward.receipts().unwrap();
    assert_eq!(receipts.len(), 3);
    let stored = s.stored_sop_uids();
    for p in &q.photos {
        let uid = super::uids::sop_instance_uid(*p);
        assert_eq!(stored.iter().filter(|u| **u == uid).count(), 1);
    }
    assert!(receipts
        .iter()
        .any(|r| matches!(r, ReceiptRecord::Consent { delivered, .. } if delivered.len() == 2)));
    // The drain ended by truncating the index log: no page image of a destroyed key is left in it.
    let wal = q.vault_dir.join("index.sqlite-wal");
    assert_eq!(
        std::fs::metadata(&wal).map_or(0, |m| m.len()),
        0,
        "the index log still holds pages after the drain"
    );
}

// ---- what PACS holds ----------------------------------------------------------------------------

/// A 64 x 48 JPEG stored on its side (EXIF orientation 6: turn 90° clockwise to view), so upright
/// it is 48 wide and 64 high.
fn turned_jpeg(seed: u64) -> Vec<u8> {
    let (w, h) = (64u16, 48u16);
    let rgb: Vec<u8> = (0..usize::from(w) * usize::from(h) * 3)
        .map(|i| {
            ((i as u64)
                .wrapping_mul(29)
                .wrapping_add(seed.wrapping_mul(7))
                % 253) as u8
        })
        .collect();
    // APP1: "Exif", then a big-endian TIFF whose IFD0 holds one entry, Orientation (SHORT) = 6.
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01".to_vec();
    exif.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
    exif.extend_from_slice(&[0, 0, 0, 0]);
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 85);
    encoder.add_app_segment(1, &exif).unwrap();
    encoder
        .encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// An attribute's value as text, without DICOM's padding.
fn text(obj: &InMemDicomObject, tag: Tag) -> String {
    obj.element(tag)
        .unwrap_or_else(|_| panic!("{tag} missing"))
        .to_str()
        .unwrap()
        .trim_end_matches(['\0', ' '])
        .to_owned()
}

fn items(obj: &InMemDicomObject, tag: Tag) -> &[InMemDicomObject] {
    obj.element(tag)
        .unwrap_or_else(|_| panic!("{tag} missing"))
        .items()
        .unwrap()
}

/// Every tag in `obj`, sequences' items included.
fn every_tag(obj: &InMemDicomObject, out: &mut Vec<Tag>) {
    for e in obj {
        out.push(e.header().tag);
        for item in e.items().unwrap_or_default() {
            every_tag(item, out);
        }
    }
}

/// `YYYYMMDD` and `HHMMSS` of a wall-clock time in UTC, worked out here rather than by the code
/// under test.
fn utc_da_tm(at: Timestamp) -> (String, String) {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.0) * 1_000_000).unwrap();
    (
        format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day()),
        format!("{:02}{:02}{:02}", t.hour(), t.minute(), t.second()),
    )
}

/// Delivers an upright photo and a turned one, fetches what Orthanc stored and checks every
/// attribute the VL Photographic Image is built with, that nothing locates the photo, and that the
/// frame is the sealed JPEG itself (upright) or an upright re-encode with the receipt's digest.
#[test]
fn pacs_holds_every_attribute_and_the_sealed_frame() {
    let Some(s) = server() else { return };
    let _gate = shared();
    let q = queued_images(&[testing::jpeg(200), turned_jpeg(201)]);
    let manifests: Vec<PhotoManifest> = q.photos.iter().map(|p| q.manifest(*p)).collect();
    let sealed = q.images();
    assert_eq!(manifests[1].info.orientation, 6);
    let report = block_on(drain(&Courier::new(s.pacs("good")), &q.ward));
    assert_eq!(report.delivered, 2, "{report:?}");
    q.all_delivered(s, "after delivery");

    for ((m, image), turned) in manifests.iter().zip(&sealed).zip([false, true]) {
        let sop = uids::sop_instance_uid(m.photo_id);
        let file = s.instance_file(&sop);
        assert_eq!(&file[128..132], b"DICM");
        let obj = dicom_object::from_reader(&file[128..]).unwrap();
        let meta = obj.meta();
        assert_eq!(
            meta.transfer_syntax().trim_end_matches('\0'),
            TRANSFER_SYNTAX_UID
        );
        assert_eq!(
            meta.media_storage_sop_instance_uid().trim_end_matches('\0'),
            sop
        );

        // What, and which study, series and instance.
        assert_eq!(text(&obj, tags::SOP_CLASS_UID), SOP_CLASS_UID);
        assert_eq!(SOP_CLASS_UID, "1.2.840.10008.5.1.4.1.1.77.1.4");
        assert_eq!(text(&obj, tags::MODALITY), "XC");
        assert_eq!(text(&obj, tags::SOP_INSTANCE_UID), sop);
        assert_eq!(
            text(&obj, tags::STUDY_INSTANCE_UID),
            uids::study_uid(m.visit_id)
        );
        assert_eq!(
            text(&obj, tags::SERIES_INSTANCE_UID),
            uids::series_uid(m.visit_id)
        );

        // Whose: NHS number with its issuer, again in Other Patient IDs; name, birth date and sex
        // (none on this band: present and empty) from the band.
        assert_eq!(text(&obj, tags::PATIENT_ID), "9434765919");
        assert_eq!(text(&obj, tags::ISSUER_OF_PATIENT_ID), NHS_NUMBER_ISSUER);
        assert_eq!(NHS_NUMBER_ISSUER, "https://fhir.nhs.uk/Id/nhs-number");
        let other = items(&obj, tags::OTHER_PATIENT_I_DS_SEQUENCE);
        assert_eq!(other.len(), 1);
        assert_eq!(text(&other[0], tags::PATIENT_ID), "9434765919");
        assert_eq!(
            text(&other[0], tags::ISSUER_OF_PATIENT_ID),
            NHS_NUMBER_ISSUER
        );
        assert_eq!(text(&obj, tags::PATIENT_NAME), "SMITH^JOHN");
        assert_eq!(text(&obj, tags::PATIENT_BIRTH_DATE), "19800118");
        assert_eq!(text(&obj, tags::PATIENT_SEX), "");
        assert_eq!(text(&obj, tags::BARCODE_VALUE), testing::BAND);

        // When (UTC, said once), and who took it.
        let (da, tm) = utc_da_tm(m.captured_at);
        assert_eq!(text(&obj, tags::CONTENT_DATE), da);
        assert_eq!(text(&obj, tags::CONTENT_TIME), tm);
        assert_eq!(text(&obj, tags::STUDY_DATE), da);
        assert_eq!(text(&obj, tags::TIMEZONE_OFFSET_FROM_UTC), "+0000");
        // The clinician's name as set, whole, as the PN's family-name component.
        assert_eq!(text(&obj, tags::OPERATORS_NAME), "Dr A Jones");

        // What it shows.
        let region = items(&obj, tags::ANATOMIC_REGION_SEQUENCE);
        assert_eq!(region.len(), 1);
        assert_eq!(text(&region[0], tags::CODE_VALUE), "14975008");
        assert_eq!(text(&region[0], tags::CODING_SCHEME_DESIGNATOR), "SCT");
        assert_eq!(
            text(&region[0], tags::CODE_MEANING),
            find("14975008").unwrap().display
        );
        assert_eq!(text(&obj, tags::IMAGE_LATERALITY), "L");

        // How the pixels got there, and under which consent.
        assert_eq!(text(&obj, tags::LOSSY_IMAGE_COMPRESSION), "01");
        assert_eq!(text(&obj, tags::BURNED_IN_ANNOTATION), "NO");
        assert_eq!(text(&obj, tags::RECOGNIZABLE_VISUAL_FEATURES), "YES");
        assert_eq!(
            text(&obj, tags::IMAGE_TYPE),
            if turned {
                "DERIVED\\PRIMARY"
            } else {
                "ORIGINAL\\PRIMARY"
            }
        );
        assert_eq!(
            text(&obj, tags::IMAGE_COMMENTS),
            format!(
                "consent {} sha256 {}",
                m.consent.consent_id,
                m.consent.digest.hex()
            )
        );

        // Nothing says where it was taken: no GPS attribute (group 0016 holds them all), nothing
        // a dictionary calls a location, no private attribute that could carry one.
        let mut seen = Vec::new();
        every_tag(&obj, &mut seen);
        for tag in &seen {
            assert_ne!(tag.group(), 0x0016, "{tag} (photography/GPS group) present");
            assert!(tag.group() % 2 == 0, "private attribute {tag} present");
            let alias = StandardDataDictionary
                .by_tag(*tag)
                .map(|e| e.alias().to_owned())
                .unwrap_or_default();
            for word in ["GPS", "Geo", "Latitude", "Longitude", "Altitude"] {
                assert!(!alias.contains(word), "{alias} {tag} present");
            }
        }
        assert!(obj.element(tags::GPS_LATITUDE).is_err());

        // The frame: one fragment; the sealed JPEG itself, or its upright re-encode.
        let fragments = obj
            .element(tags::PIXEL_DATA)
            .unwrap()
            .fragments()
            .unwrap()
            .to_vec();
        assert_eq!(fragments.len(), 1);
        let frame = &fragments[0];
        let receipt = q.deletion_receipts(m.photo_id);
        let ReceiptRecord::Deletion {
            sent: Some(sent), ..
        } = &receipt[0]
        else {
            unreachable!()
        };
        let digest: [u8; 32] = hex::decode(&sent.frame_sha256).unwrap().try_into().unwrap();
        let len = usize::try_from(sent.frame_len).unwrap();
        assert!(reply::received_matches(&digest, len, frame));
        // The fragment is the JPEG, with one zero byte after an odd length (PS3.5 §A.4); the
        // receipt's digest is of the fragment as sent.
        let jpeg = match frame.strip_suffix(&[0]) {
            Some(unpadded) if unpadded.len() % 2 == 1 => unpadded,
            _ => &frame[..],
        };
        assert!(
            jpeg.ends_with(&[0xFF, 0xD9]),
            "the fragment is not one JPEG"
        );
        if turned {
            assert_ne!(jpeg, &image[..]);
        } else {
            assert_eq!(jpeg, &image[..], "the sealed JPEG, byte for byte");
        }
        assert!(
            !jpeg.windows(6).any(|w| w == b"Exif\0\0"),
            "an EXIF block reached PACS"
        );
        let mut decoder = jpeg_decoder::Decoder::new(jpeg);
        decoder.decode().unwrap();
        let info = decoder.info().unwrap();
        let upright = m.info.upright_size();
        assert_eq!(upright, if turned { (48, 64) } else { (64, 48) });
        assert_eq!((u32::from(info.width), u32::from(info.height)), upright);
        let rows = obj.element(tags::ROWS).unwrap().to_int::<u32>().unwrap();
        let columns = obj.element(tags::COLUMNS).unwrap().to_int::<u32>().unwrap();
        assert_eq!((columns, rows), upright);
    }
}

// ---- faults -------------------------------------------------------------------------------------

/// A message a clinician can read: whole sentences about the hospital server, not the library's
/// error text or the address.
fn assert_words(message: &str, expect: &str) {
    assert!(message.len() > 40, "{message}");
    assert!(message.ends_with('.'), "{message}");
    assert!(
        message.to_lowercase().contains("hospital"),
        "not about the hospital server: {message}"
    );
    assert!(
        message.contains(expect),
        "{message} does not say {expect:?}"
    );
    for internal in [
        "127.0.0.1",
        "reqwest",
        "rustls",
        "error sending",
        "hyper",
        "os error",
    ] {
        assert!(!message.contains(internal), "{message}");
    }
}

/// Drains two photos against fault `mode`: both are kept whole and queued, each one tried waits
/// with the problem `code` (whose message says `words`), the drain reports the problem and a
/// retry time in the future (Retry-After's 120 s for `status503`), a second drain by the same
/// courier does not try again, and nothing of ours reaches Orthanc. Then a courier on the good
/// endpoint waits too unless forced, and forced delivers each photo exactly once.
fn fault_then_delivered_once(mode: &str, code: &str, words: &str, seed: u64) {
    let Some(s) = server() else { return };
    let _gate = shared();
    let q = queued(2, seed);
    let images = q.images();
    block_on(async {
        let faulty = Courier::new(s.pacs(mode));
        let t0 = Timestamp::now();
        let report = drain(&faulty, &q.ward).await;
        let t1 = Timestamp::now();
        assert_eq!(report.delivered, 0, "{mode}: {report:?}");
        assert_eq!(report.held, 0, "{mode}: {report:?}");
        let problem = report
            .server_problem
            .clone()
            .unwrap_or_else(|| panic!("{mode}: no server problem: {report:?}"));
        assert_eq!(problem.code, code, "{mode}");
        assert_words(&problem.message, words);
        let next_at = report.next_at.expect("no retry time");
        assert!(next_at > t1, "{mode}: retry at {next_at:?}, now {t1:?}");
        let (low, high) = if mode == "status503" {
            // The server's Retry-After: 120, not the courier's own backoff.
            (Timestamp(t0.0 + 120_000), Timestamp(t1.0 + 120_000))
        } else {
            // Backoff from BACKOFF_BASE with jitter in the upper half; the second photo to fail
            // counts a second failure.
            let base = u64::try_from(BACKOFF_BASE.as_millis()).unwrap();
            (Timestamp(t0.0 + base / 2), Timestamp(t1.0 + 2 * base))
        };
        assert!(
            (low..=high).contains(&next_at),
            "{mode}: retry at {next_at:?}, expected {low:?}..={high:?}"
        );

        q.all_kept(&images, LocalState::Queued, mode);
        let mut tried = 0;
        for p in &q.photos {
            let m = q.manifest(*p);
            match &m.delivery.problem {
                Some(pr) => {
                    tried += 1;
                    assert_eq!(pr, &problem, "{mode}: {p}");
                    let at = m.delivery.next_attempt_at.expect("no retry time");
                    assert!((low..=high).contains(&at), "{mode}: {p} waits until {at:?}");
                    assert!(m.delivery.sent.is_none());
                }
                // Not tried: the drain stopped at the first photo's problem.
                None => assert_eq!(m.delivery.attempts, 0, "{mode}: {p}"),
            }
        }
        assert!(tried >= 1, "{mode}: no photo carries the problem");
        assert_eq!(report.waiting, tried, "{mode}: {report:?}");
        let attempts: Vec<u32> = q
            .photos
            .iter()
            .map(|p| q.manifest(*p).delivery.attempts)
            .collect();

        // The same courier waits: nothing is tried again before the retry time.
        let again = drain(&faulty, &q.ward).await;
        assert_eq!(again.server_problem.as_ref(), Some(&problem), "{mode}");
        assert_eq!(again.next_at, faulty.paused().0, "{mode}");
        assert_eq!(again.delivered + again.waiting, 0, "{mode}: {again:?}");
        let after: Vec<u32> = q
            .photos
            .iter()
            .map(|p| q.manifest(*p).delivery.attempts)
            .collect();
        assert_eq!(after, attempts, "{mode}: tried again while paused");
        // Nothing of ours was stored through the fault (the certificate fronts would proxy it).
        for p in &q.photos {
            assert_eq!(s.copies(&uids::sop_instance_uid(*p)), 0, "{mode}: {p}");
        }

        // A courier on the good endpoint: the photos' sealed waits hold until forced.
        let good = Courier::new(s.pacs("good"));
        let waits = drain(&good, &q.ward).await;
        assert_eq!(waits.delivered, 0, "{mode}: {waits:?}");
        assert!(waits.next_at.is_some_and(|at| at > t1), "{mode}: {waits:?}");
        q.all_kept(&images, LocalState::Queued, mode);
        let (report, _) = drain_with(&good, &q.ward, true).await;
        assert_eq!(report.delivered, 2, "{mode}: {report:?}");
        assert_eq!(report.server_problem, None);
        assert_eq!(report.next_at, None);
    });
    q.all_delivered(s, mode);
}

macro_rules! fault_tests {
    ($($(#[$doc:meta])* $name:ident: $mode:literal => $code:literal, $words:literal, $seed:literal;)*) => {
        $(
            $(#[$doc])*
            #[test]
            fn $name() {
                fault_then_delivered_once($mode, $code, $words, $seed);
            }
        )*
    };
}

fault_tests! {
    /// Nothing listens: unreachable.
    fault_refused_keeps_photos_then_delivers_once:
        "refused" => "endpoint.unreachable", "could not be reached", 1_000;
    /// HTTP 500 to the STOW.
    fault_status500_keeps_photos_then_delivers_once:
        "status500" => "endpoint.unavailable", "HTTP 500", 1_100;
    /// HTTP 503 with Retry-After: 120, which the retry time honours.
    fault_status503_honours_retry_after_then_delivers_once:
        "status503" => "endpoint.unavailable", "HTTP 503", 1_200;
    /// The server stops reading the upload and never answers: the request times out.
    fault_stall_mid_body_keeps_photos_then_delivers_once:
        "stall_mid_body" => "endpoint.unavailable", "not answering", 1_300;
    /// The connection is reset during the upload.
    fault_reset_mid_upload_keeps_photos_then_delivers_once:
        "reset_mid_upload" => "endpoint.unavailable", "not answering", 1_400;
    /// A certificate from an authority the device does not trust.
    fault_other_ca_keeps_photos_then_delivers_once:
        "other_ca" => "endpoint.not_trusted", "authority", 1_500;
    /// A trusted certificate for a key that is not pinned.
    fault_unpinned_keeps_photos_then_delivers_once:
        "unpinned" => "endpoint.pin_mismatch", "key", 1_600;
    /// An expired certificate.
    fault_expired_keeps_photos_then_delivers_once:
        "expired" => "endpoint.not_trusted", "expired", 1_700;
    /// A certificate for another host name.
    fault_wrong_host_keeps_photos_then_delivers_once:
        "wrong_host" => "endpoint.not_trusted", "another server", 1_800;
    /// A server that speaks only TLS 1.1.
    fault_tls11_keeps_photos_then_delivers_once:
        "tls11" => "endpoint.not_trusted", "outdated", 1_900;
    /// A 302 to the good front, which is never followed.
    fault_redirect_keeps_photos_then_delivers_once:
        "redirect" => "endpoint.redirected", "redirect", 2_000;
}

/// The read-back differs from what was sent: the photo is held (never shredded, never silently
/// retried) until the clinician sends it again; then it is delivered, still one instance.
#[test]
fn a_readback_that_differs_holds_the_photo_until_sent_again() {
    let Some(s) = server() else { return };
    let _gate = shared();
    let mut q = queued(1, 2_100);
    let images = q.images();
    let p = q.photos[0];
    let sop = uids::sop_instance_uid(p);
    // Read-backs of this photo through the corrupting front, from its request log.
    let readbacks = || {
        s.log()
            .iter()
            .filter(|l| {
                l["mode"] == "readback_differs"
                    && l["method"] == "GET"
                    && l["url"].as_str().unwrap().contains(&sop)
            })
            .count()
    };
    block_on(async {
        let differs = Courier::new(s.pacs("readback_differs"));
        let report = drain(&differs, &q.ward).await;
        assert_eq!(report.held, 1, "{report:?}");
        assert_eq!(report.delivered + report.waiting + report.unverified, 0);
        assert_eq!(report.server_problem, None);
        assert_eq!(report.next_at, None, "a held photo has no retry time");
        // The STOW went through: the server holds it, but it was not shredded here.
        assert_eq!(s.copies(&sop), 1);
        q.all_kept(&images, LocalState::Held, "held");
        let m = q.manifest(p);
        let hold = m.delivery.hold.clone().expect("no hold reason");
        assert_eq!(hold.code, "delivery.readback_mismatch");
        assert_words(&hold.message, "kept on the phone");
        assert!(q.deletion_receipts(p).is_empty());
        assert_eq!(readbacks(), 1);

        // No silent loop: neither a drain nor a forced one touches a held photo.
        let (quiet, events) = drain_with(&differs, &q.ward, true).await;
        assert_eq!(quiet, DrainReport::default(), "{quiet:?}");
        assert!(events.is_empty(), "{events:?}");
        let (quiet, _) = drain_with(&Courier::new(s.pacs("good")), &q.ward, true).await;
        assert_eq!(quiet, DrainReport::default(), "{quiet:?}");
        assert_eq!(q.manifest(p).revision, m.revision);
        assert_eq!(readbacks(), 1);
        assert_eq!(q.ward.delivery_plan(Timestamp(u64::MAX)).unwrap().held, 1);
    });
    // A restart does not release it either.
    q.reopen();
    assert_eq!(q.manifest(p).state, LocalState::Held);

    q.ward.send_again(p).unwrap();
    let m = q.manifest(p);
    assert_eq!(m.state, LocalState::Queued);
    assert_eq!(
        m.delivery.problem.as_ref().map(|pr| pr.code.as_str()),
        Some("delivery.readback_mismatch"),
        "the hold stays as the last problem"
    );
    let report = block_on(drain(&Courier::new(s.pacs("good")), &q.ward));
    assert_eq!(report.delivered, 1, "{report:?}");
    q.all_delivered(s, "sent again");
    assert_eq!(readbacks(), 1);
}

// ---- exactly once --------------------------------------------------------------------------------

/// The photo's own DICOM object, built as the courier would.
fn part10_of(q: &Queued, p: PhotoId) -> Zeroizing<Vec<u8>> {
    let m = q.manifest(p);
    let image = q.ward.vault().unwrap().unseal(m.image).unwrap();
    Zeroizing::new(vl_photographic_image(&m, &image, Timestamp::now()).unwrap())
}

/// The server stored a photo but its answer never came back (so the ward still says queued): the
/// courier sends it again and the server still holds one instance.
#[test]
fn a_photo_stored_but_never_acknowledged_is_delivered_once() {
    let Some(s) = server() else { return };
    let _gate = shared();
    let q = queued(1, 2_200);
    let p = q.photos[0];
    let sop = uids::sop_instance_uid(p);
    let pacs = s.pacs("good");
    let stored = block_on(pacs.store(part10_of(&q, p), &sop));
    assert_eq!(stored, Outcome::Done(()));
    assert_eq!(s.copies(&sop), 1);
    assert_eq!(q.manifest(p).state, LocalState::Queued);
    let report = block_on(drain(&Courier::new(pacs), &q.ward));
    assert_eq!(report.delivered, 1, "{report:?}");
    q.all_delivered(s, "after a lost answer");
}

// ---- crashes between the steps --------------------------------------------------------------------

/// A crash after `begin_delivery` leaves photos sending: one whose STOW never left, one whose STOW
/// reached the server but whose answer was lost with the app. After a restart both are sent again
/// and each is on the server once.
#[test]
fn photos_left_sending_by_a_crash_are_sent_again_after_restart() {
    let Some(s) = server() else { return };
    let _gate = shared();
    let mut q = queued(2, 2_300);
    let pacs = s.pacs("good");
    for (i, p) in q.photos.clone().into_iter().enumerate() {
        let job = q.ward.begin_delivery(p, pacs.base_url()).unwrap();
        let Some(DeliveryJob::Send { part10, sent, .. }) = job else {
            panic!("{p}: not a send: {job:?}")
        };
        if i == 1 {
            assert_eq!(
                block_on(pacs.store(part10, &sent.sop_uid)),
                Outcome::Done(())
            );
        }
    }
    let report = q.reopen();
    assert_eq!(report.photos, 2, "{report:?}");
    for p in &q.photos {
        let m = q.manifest(*p);
        assert_eq!(m.state, LocalState::Sending);
        assert_eq!(m.delivery.attempts, 1);
    }
    let (report, events) = block_on(drain_with(&Courier::new(pacs), &q.ward, false));
    assert_eq!(report.delivered, 2, "{report:?}");
    for p in &q.photos {
        assert!(
            events.contains(&OutboxEvent::Progress {
                photo: *p,
                phase: Phase::Uploading,
                fraction: 0.2
            }),
            "{p} was not sent again"
        );
    }
    q.all_delivered(s, "after a crash while sending");
}

/// A crash after the server acknowledged a photo (sealed as uploaded) and before its read-back:
/// after a restart it is read back and shredded, with no second STOW-RS.
#[test]
fn a_photo_left_uploaded_by_a_crash_is_verified_without_a_second_stow() {
    let Some(s) = server() else { return };
    let mut q = queued(1, 2_400);
    let p = q.photos[0];
    let sop = uids::sop_instance_uid(p);
    let pacs = s.pacs("good");
    {
        let _gate = shared();
        let job = q.ward.begin_delivery(p, pacs.base_url()).unwrap();
        let Some(DeliveryJob::Send { part10, sent, .. }) = job else {
            panic!("not a send: {job:?}")
        };
        assert_eq!(
            block_on(pacs.store(part10, &sent.sop_uid)),
            Outcome::Done(())
        );
        q.ward.delivery_acknowledged(p, sent).unwrap();
    }
    let report = q.reopen();
    assert_eq!(report.photos, 1);
    let m = q.manifest(p);
    assert_eq!(m.state, LocalState::Uploaded);
    assert!(m.delivery.sent.is_some());

    // Nothing else sends while the log is counted (a POST does not say which study it carries).
    let _quiet = exclusive();
    let before = s.log().len();
    let (report, events) = block_on(drain_with(&Courier::new(pacs), &q.ward, false));
    let log = s.log();
    assert_eq!(report.delivered, 1, "{report:?}");
    let new = &log[before..];
    let posts = new.iter().filter(|l| l["method"] == "POST").count();
    let reads = new
        .iter()
        .filter(|l| l["method"] == "GET" && l["url"].as_str().unwrap().contains(&sop))
        .count();
    // The one POST is the consent's own copy (a PACS-only trust), never the photo again.
    assert_eq!(report.consents_copied, 1, "{report:?}");
    assert_eq!(posts, 1, "sent again: {new:?}");
    assert_eq!(reads, 1, "{new:?}");
    assert!(
        !events.iter().any(|e| matches!(
            e,
            OutboxEvent::Progress {
                phase: Phase::Uploading,
                ..
            }
        )),
        "{events:?}"
    );
    assert_eq!(q.deletion_receipts(p).len(), 1);
    // The receipt keeps what was acknowledged before the crash.
    let ReceiptRecord::Deletion { sent, .. } = &q.deletion_receipts(p)[0] else {
        unreachable!()
    };
    assert_eq!(sent.as_ref(), m.delivery.sent.as_ref());
    q.all_delivered(s, "after a crash before the read-back");
}

/// A crash after the deletion receipt was sealed and before the photo was shredded (the two halves
/// of `delivery_verified`, done here by hand): the next open shreds the photo, retires the visit
/// to its consent receipt, and nothing is sent again.
#[test]
fn a_deletion_receipt_sealed_before_a_crash_shreds_the_photo_at_the_next_open() {
    let Some(s) = server() else { return };
    let _gate = shared();
    let mut q = queued(1, 2_500);
    let p = q.photos[0];
    let pacs = s.pacs("good");
    let job = q.ward.begin_delivery(p, pacs.base_url()).unwrap();
    let Some(DeliveryJob::Send { part10, sent, .. }) = job else {
        panic!("not a send: {job:?}")
    };
    assert_eq!(
        block_on(pacs.store(part10, &sent.sop_uid)),
        Outcome::Done(())
    );
    q.ward.delivery_acknowledged(p, sent).unwrap();
    let m = q.manifest(p);
    assert_eq!(
        block_on(pacs.verify(m.delivery.sent.as_ref().unwrap())),
        Outcome::Done(true)
    );
    // The first half of `delivery_verified`: the receipt, sealed; then the app dies.
    let receipt = ReceiptRecord::Deletion {
        photo_id: p,
        visit_id: m.visit_id,
        consent_id: m.consent.consent_id,
        sent: Some(m.delivery.sent.clone().unwrap()),
        filed: None,
        body_site: m.label.as_ref().map(|l| l.body_site.clone()),
        laterality: m.label.as_ref().map(|l| l.laterality),
        shredded_at: Timestamp::now(),
    };
    let vault = q.ward.vault().unwrap();
    vault
        .seal(
            ItemKind::Receipt,
            &encode(&receipt).unwrap(),
            None,
            Timestamp::now(),
        )
        .unwrap();
    drop(vault);

    let report = q.reopen();
    assert_eq!(report.delivered_photos_shredded, 1, "{report:?}");
    // The shred recovery finished is in the audit trail, once.
    let shredded = crate::audit::Event::Shredded {
        photo: p.to_string(),
    };
    let entries = q.ward.audit_entries().unwrap();
    assert_eq!(
        entries.iter().filter(|e| e.event == shredded).count(),
        1,
        "{entries:?}"
    );
    // The visit stays: its consent has not reached the PACS as its own copy yet.
    assert_eq!(report.visits_retired, 0, "{report:?}");
    assert_eq!(report.photos, 0, "{report:?}");
    let vault = q.ward.vault().unwrap();
    for item in [m.image, m.thumbnail] {
        assert!(matches!(vault.meta(item), Err(VaultError::NotFound)));
    }
    // The next drain sends no photo, only the consent's copy, and retires the visit.
    let (report, events) = block_on(drain_with(&Courier::new(pacs), &q.ward, true));
    assert_eq!(
        report,
        DrainReport {
            consents_copied: 1,
            ..DrainReport::default()
        }
    );
    assert!(
        events.iter().all(|e| *e == OutboxEvent::Changed),
        "{events:?}"
    );
    q.all_delivered(s, "after a crash between receipt and shred");
}

/// Acknowledges photo `p` by hand: sealed sending, stored by STOW-RS, sealed uploaded.
fn upload_by_hand(q: &Queued, pacs: &Pacs, p: PhotoId) {
    let job = q.ward.begin_delivery(p, pacs.base_url()).unwrap();
    let Some(DeliveryJob::Send { part10, sent, .. }) = job else {
        panic!("not a send: {job:?}")
    };
    assert_eq!(
        block_on(pacs.store(part10, &sent.sop_uid)),
        Outcome::Done(())
    );
    q.ward.delivery_acknowledged(p, sent).unwrap();
    assert_eq!(q.manifest(p).state, LocalState::Uploaded);
}

/// The server acknowledged a photo, then its read-back meets a fault: the photo stays uploaded
/// (kept whole, its acknowledgement kept) with the fault as its problem, and is read back later
/// without being sent again.
#[test]
fn an_uploaded_photo_whose_read_back_fails_stays_uploaded() {
    let Some(s) = server() else { return };
    let _gate = shared();
    let q = queued(1, 2_600);
    let images = q.images();
    let p = q.photos[0];
    upload_by_hand(&q, &s.pacs("good"), p);
    let sent = q.manifest(p).delivery.sent.clone();
    for (mode, code) in [
        ("refused", "endpoint.unreachable"),
        ("status503", "endpoint.unavailable"),
        ("redirect", "endpoint.redirected"),
        ("unpinned", "endpoint.pin_mismatch"),
    ] {
        let (report, events) = block_on(drain_with(&Courier::new(s.pacs(mode)), &q.ward, true));
        assert_eq!(report.unverified, 1, "{mode}: {report:?}");
        assert_eq!(report.delivered + report.held, 0, "{mode}: {report:?}");
        assert_eq!(
            report.server_problem.as_ref().map(|pr| pr.code.as_str()),
            Some(code),
            "{mode}"
        );
        assert!(report.next_at.is_some_and(|at| at > Timestamp::now()));
        assert!(
            !events.iter().any(|e| matches!(
                e,
                OutboxEvent::Progress {
                    phase: Phase::Uploading,
                    ..
                }
            )),
            "{mode}: sent again: {events:?}"
        );
        q.all_kept(&images, LocalState::Uploaded, mode);
        let m = q.manifest(p);
        assert_eq!(m.delivery.sent, sent, "{mode}");
        assert_eq!(m.delivery.problem.map(|pr| pr.code).as_deref(), Some(code));
    }
    let (report, events) = block_on(drain_with(&Courier::new(s.pacs("good")), &q.ward, true));
    assert_eq!(report.delivered, 1, "{report:?}");
    assert!(
        !events.iter().any(|e| matches!(
            e,
            OutboxEvent::Progress {
                phase: Phase::Uploading,
                ..
            }
        )),
        "{events:?}"
    );
    q.all_delivered(s, "read back at last");
}

/// The server acknowledged a photo and then lost it (purged from PACS before the read-back): the
/// read-back finds nothing, so the photo goes back to the queue (nothing shredded) and is sent
/// again at once; the server then holds it once.
#[test]
fn an_acknowledged_photo_the_server_lost_is_sent_again() {
    let Some(s) = server() else { return };
    let _gate = shared();
    let q = queued(1, 2_700);
    let images = q.images();
    let p = q.photos[0];
    let sop = uids::sop_instance_uid(p);
    upload_by_hand(&q, &s.pacs("good"), p);
    s.orthanc_delete(&format!("/instances/{}", s.orthanc_id(&sop)));
    assert_eq!(s.copies(&sop), 0);
    let courier = Courier::new(s.pacs("good"));
    let report = block_on(drain(&courier, &q.ward));
    assert_eq!(report.waiting, 1, "{report:?}");
    assert_eq!(report.delivered + report.held + report.unverified, 0);
    assert_eq!(
        report.server_problem, None,
        "one photo's problem, not the server's"
    );
    q.all_kept(&images, LocalState::Queued, "lost by the server");
    let m = q.manifest(p);
    assert_eq!(m.delivery.sent, None);
    let problem = m.delivery.problem.expect("no problem recorded");
    assert_eq!(problem.code, "delivery.not_on_server");
    assert_words(&problem.message, "sending it again");
    // Due again at once, without forcing.
    let report = block_on(drain(&courier, &q.ward));
    assert_eq!(report.delivered, 1, "{report:?}");
    q.all_delivered(s, "sent again after the server lost it");
}

/// A STOW-RS that reached the server but whose answer was lost leaves the photo queued; the server
/// keeps the instance it first stored under that SOP Instance UID, so redacting the photo now would
/// leave the record holding the unredacted image. The ward refuses the redaction once an attempt
/// was made, and the photo is then delivered once, as stored.
#[test]
fn a_photo_whose_store_went_unanswered_cannot_be_redacted() {
    let Some(s) = server() else { return };
    let _gate = shared();
    let q = queued(1, 2_800);
    let p = q.photos[0];
    let sop = uids::sop_instance_uid(p);
    let pacs = s.pacs("good");
    // The courier's first steps, with the answer lost: the ward counted the attempt, the server
    // stored it, and the photo waits again.
    let base = pacs.base_url().to_owned();
    let Some(crate::visit::DeliveryJob::Send { part10, .. }) =
        q.ward.begin_delivery(p, &base).unwrap()
    else {
        panic!("expected a send");
    };
    assert_eq!(block_on(pacs.store(part10, &sop)), Outcome::Done(()));
    q.ward
        .delivery_failed(
            p,
            crate::visit::Problem {
                code: "endpoint.unavailable".into(),
                message: "no answer".into(),
            },
            crate::vault::Timestamp::now(),
            false,
        )
        .unwrap();
    assert_eq!(q.manifest(p).state, LocalState::Queued);
    let refused = q.ward.redact(
        p,
        &crate::intake::Redaction {
            crop: None,
            fills: vec![crate::intake::Rect {
                x: 0.25,
                y: 0.25,
                width: 0.5,
                height: 0.5,
            }],
        },
    );
    assert_eq!(
        refused.map(|_| ()).map_err(|e| e.code()),
        Err("visit.photo_sending")
    );
    let report = block_on(drain(&Courier::new(pacs), &q.ward));
    assert_eq!(report.delivered, 1, "{report:?}");
    assert_eq!(s.copies(&sop), 1);
}
