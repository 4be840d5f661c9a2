#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use crate::patient::{BirthDate, NhsNumber, WristbandData};
use crate::session::{ConsentRef, PatientRef, Purpose, Purposes};
use crate::vault::Timestamp;

/// A name-like scribble on a 600 × 200 pad: three loops and a long tail across the box.
pub(crate) fn scribble() -> Signature {
    let mut strokes = Vec::new();
    let mut t = 0;
    for s in 0..3u32 {
        let mut points = Vec::new();
        for i in 0..40u32 {
            let x = 60 + s * 150 + i * 3;
            let phase = f64::from(i) / 40.0 * std::f64::consts::TAU * 2.0;
            let y = (100.0 + 50.0 * phase.sin()) as u32;
            t += 8;
            points.push(Point { x, y, t });
        }
        strokes.push(points);
    }
    Signature {
        width: 600,
        height: 200,
        strokes,
    }
}

fn pad(strokes: Vec<Vec<(u32, u32)>>) -> Signature {
    Signature {
        width: 600,
        height: 200,
        strokes: strokes
            .into_iter()
            .map(|s| {
                s.into_iter()
                    .enumerate()
                    .map(|(i, (x, y))| Point {
                        x,
                        y,
                        t: i as u32 * 10,
                    })
                    .collect()
            })
            .collect(),
    }
}

fn patient() -> ConsentPatient {
    let band = WristbandData::manual_entry(NhsNumber::parse("9434765919").unwrap());
    ConsentPatient::new(&band, "Smith", "Ann", BirthDate::new(1950, 3, 1)).unwrap()
}

fn form(method: Method) -> ConsentForm {
    ConsentForm {
        decision: Decision::Permit,
        purposes: [Purpose::Care, Purpose::Teaching].into_iter().collect(),
        consented_by: ConsentedBy::Patient,
        method,
        text_version: "en-GB-v1".into(),
    }
}

fn build(form: ConsentForm) -> Result<ConsentRecord, ConsentError> {
    let text = ConsentText::default_text().unwrap();
    ConsentRecord::build(
        form,
        RecordContext {
            id: ConsentId::from_random_bytes([7; 16]),
            patient: patient(),
            clinician: Clinician {
                name: "Dr Jane Okafor".into(),
                identifier: Some("7654321".into()),
            },
            organization: Some("RX1".into()),
            text: &text,
            recorded_at: Timestamp(1_793_000_000_000),
        },
    )
}

fn signed() -> ConsentRecord {
    build(form(Method::Signature {
        signature: scribble(),
    }))
    .unwrap()
}

#[test]
fn a_name_like_scribble_is_accepted() {
    scribble().validate().unwrap();
}

#[test]
fn empty_dot_and_short_scribbles_are_refused() {
    assert_eq!(pad(vec![]).validate(), Err(ConsentError::SignatureEmpty));
    assert_eq!(
        pad(vec![vec![]]).validate(),
        Err(ConsentError::SignatureEmpty)
    );
    // A dot: one point, or a few on the same spot.
    assert_eq!(
        pad(vec![vec![(300, 100)]]).validate(),
        Err(ConsentError::SignatureTooSmall)
    );
    assert_eq!(
        pad(vec![vec![(300, 100); 20]]).validate(),
        Err(ConsentError::SignatureTooSmall)
    );
    // A short scribble in a corner: many points, small box.
    let corner: Vec<(u32, u32)> = (0..30)
        .map(|i| (10 + (i % 5) * 4, 10 + (i % 3) * 5))
        .collect();
    assert_eq!(
        pad(vec![corner]).validate(),
        Err(ConsentError::SignatureTooSmall)
    );
    // A flat dash across the box: wide, long, but no height.
    let dash: Vec<(u32, u32)> = (0..30).map(|i| (100 + i * 15, 100)).collect();
    assert_eq!(
        pad(vec![dash]).validate(),
        Err(ConsentError::SignatureTooSmall)
    );
}

#[test]
fn oversized_or_malformed_signatures_are_refused() {
    let mut s = scribble();
    s.strokes[0][0].x = 601;
    assert_eq!(s.validate(), Err(ConsentError::SignatureMalformed));
    let mut s = scribble();
    s.width = 10;
    assert_eq!(s.validate(), Err(ConsentError::SignatureMalformed));
    let mut s = scribble();
    s.strokes = vec![s.strokes[0].clone(); MAX_STROKES + 1];
    assert_eq!(s.validate(), Err(ConsentError::SignatureTooLarge));
    let mut s = scribble();
    s.strokes = vec![vec![Point { x: 5, y: 5, t: 0 }; MAX_POINTS + 1]];
    assert_eq!(s.validate(), Err(ConsentError::SignatureTooLarge));
}

#[test]
fn the_png_is_rendered_from_the_strokes() {
    let sig = scribble();
    let png = sig.render_png().unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let decoder = png::Decoder::new(std::io::Cursor::new(png.clone()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (600, 200));
    let at = |x: u32, y: u32| buf[(y * 600 + x) as usize];
    // Ink under a drawn point, paper far from any stroke.
    let p = sig.strokes[0][5];
    assert!(at(p.x, p.y) < 64, "no ink under a stroke point");
    assert_eq!(at(5, 195), 255);
    // Same strokes, same image; other strokes, another image.
    assert_eq!(sig.render_png().unwrap(), png);
    let mut other = sig.clone();
    other.strokes.pop();
    assert_ne!(other.render_png().unwrap(), png);
}

#[test]
fn each_route_builds_and_each_missing_part_is_refused() {
    signed();
    build(form(Method::Verbal {
        witness: "Staff Nurse Lee".into(),
    }))
    .unwrap();
    let mut f = form(Method::Verbal {
        witness: "  ".into(),
    });
    assert_eq!(build(f.clone()).unwrap_err(), ConsentError::WitnessMissing);
    f.method = Method::Signature {
        signature: scribble(),
    };
    f.consented_by = ConsentedBy::Representative {
        name: "".into(),
        relationship: "mother".into(),
    };
    assert_eq!(
        build(f.clone()).unwrap_err(),
        ConsentError::RepresentativeNameMissing
    );
    f.consented_by = ConsentedBy::Representative {
        name: "Mary Smith".into(),
        relationship: " ".into(),
    };
    assert_eq!(
        build(f.clone()).unwrap_err(),
        ConsentError::RepresentativeRelationshipMissing
    );
    f.consented_by = ConsentedBy::Representative {
        name: "Mary Smith".into(),
        relationship: "mother".into(),
    };
    build(f.clone()).unwrap();
    f.consented_by = ConsentedBy::BestInterests { reason: "".into() };
    assert_eq!(
        build(f.clone()).unwrap_err(),
        ConsentError::BestInterestsReasonMissing
    );
    f.consented_by = ConsentedBy::BestInterests {
        reason: "Unconscious; photos guide wound care.".into(),
    };
    build(f.clone()).unwrap();
    f.method = Method::Signature {
        signature: pad(vec![vec![(1, 1)]]),
    };
    assert_eq!(
        build(f.clone()).unwrap_err(),
        ConsentError::SignatureTooSmall
    );
    f.method = Method::Declined;
    assert_eq!(build(f.clone()).unwrap_err(), ConsentError::MethodMismatch);
    f.decision = Decision::Refuse;
    f.purposes = Purposes::NONE;
    build(f).unwrap();
}

#[test]
fn purposes_need_care_and_at_least_one() {
    let mut f = form(Method::Signature {
        signature: scribble(),
    });
    f.purposes = Purposes::NONE;
    assert_eq!(build(f.clone()).unwrap_err(), ConsentError::NoPurpose);
    for other in [
        Purpose::SecondOpinion,
        Purpose::Teaching,
        Purpose::Publication,
    ] {
        f.purposes = Purposes::NONE.with(other);
        assert_eq!(
            build(f.clone()).unwrap_err(),
            ConsentError::CareRequired,
            "{other:?}"
        );
        f.purposes = f.purposes.with(Purpose::Care);
        build(f.clone()).unwrap();
    }
}

#[test]
fn a_form_for_another_text_version_is_refused() {
    let mut f = form(Method::Signature {
        signature: scribble(),
    });
    f.text_version = "en-GB-v0".into();
    assert_eq!(
        build(f).unwrap_err(),
        ConsentError::TextVersionMismatch {
            shown: "en-GB-v0".into(),
            current: "en-GB-v1".into()
        }
    );
}

#[test]
fn a_patient_needs_an_identifier_and_a_name() {
    let mut band = WristbandData::manual_entry(NhsNumber::parse("9434765919").unwrap());
    // An NHS number stands alone (typed twice while the record is out of reach: no name known).
    assert!(ConsentPatient::new(&band, "", "", None).is_ok());
    // A hospital number needs the name beside it.
    let local_policy = crate::patient::PatientPolicy::default()
        .with_local_id("RX1", "[A-Z][0-9]{7}")
        .unwrap();
    let local = crate::patient::parse_scan("A1234567", &local_policy).unwrap();
    assert_eq!(
        ConsentPatient::new(&local, "", "Ann", None).unwrap_err(),
        ConsentError::NoPatientName
    );
    band.nhs_number = None;
    assert_eq!(
        ConsentPatient::new(&band, "Smith", "Ann", None).unwrap_err(),
        ConsentError::NoPatientIdentifier
    );
    assert!(!format!("{:?}", patient()).contains("9434765919"));
    assert!(!format!("{:?}", signed()).contains("Smith"));
}

#[test]
fn canonical_form_is_sorted_compact_and_round_trips() {
    let r = signed();
    let bytes = r.canonical_bytes().unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.starts_with(r#"{"clinician":{"identifier":"7654321","name":"Dr Jane Okafor"},"consented_by":{"kind":"patient"},"decision":"permit","id":"07070707-0707-4707-8707-070707070707","method":{"kind":"signature","signature":{"height":200,"strokes":[[{"t":8,"x":60,"y":"#), "{text:.200}");
    assert!(text.contains(r#""organization":"RX1","patient":{"birth_date":"1950-03-01","family_name":"Smith","given_name":"Ann","local_id":null,"local_id_issuer":null,"nhs_number":"9434765919"},"purposes":["care","teaching"],"recorded_at":1793000000000,"text_sha256":""#));
    assert!(
        !text.contains(' ') || text.contains("Dr Jane"),
        "no whitespace outside strings"
    );
    let back: ConsentRecord = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(back, r);
    assert_eq!(back.sha256().unwrap(), r.sha256().unwrap());
    // The digest is SHA-256 of exactly those bytes.
    let expected = ring::digest::digest(&ring::digest::SHA256, &bytes);
    assert_eq!(r.sha256().unwrap().0.as_slice(), expected.as_ref());
}

#[test]
fn digest_changes_when_any_field_changes() {
    let base = signed();
    let d = base.sha256().unwrap();
    assert_eq!(signed().sha256().unwrap(), d, "same record, same digest");
    let mut variants: Vec<ConsentRecord> = Vec::new();
    let mut v = base.clone();
    v.id = ConsentId::from_random_bytes([8; 16]);
    variants.push(v);
    let mut v = base.clone();
    v.purposes = v.purposes.with(Purpose::Publication);
    variants.push(v);
    let mut v = base.clone();
    v.decision = Decision::Refuse;
    variants.push(v);
    let mut v = base.clone();
    v.consented_by = ConsentedBy::BestInterests { reason: "r".into() };
    variants.push(v);
    let mut v = base.clone();
    v.clinician.name.push('e');
    variants.push(v);
    let mut v = base.clone();
    v.clinician.identifier = None;
    variants.push(v);
    let mut v = base.clone();
    v.organization = None;
    variants.push(v);
    let mut v = base.clone();
    v.recorded_at = Timestamp(v.recorded_at.0 + 1);
    variants.push(v);
    let mut v = base.clone();
    v.text_version.push('x');
    variants.push(v);
    let mut v = base.clone();
    v.text_sha256.replace_range(0..1, "f");
    variants.push(v);
    let mut v = base.clone();
    if let Method::Signature { signature } = &mut v.method {
        signature.strokes[1][3].y += 1;
    }
    variants.push(v);
    let mut v = base.clone();
    v.patient = ConsentPatient::new(
        &WristbandData::manual_entry(NhsNumber::parse("9434765870").unwrap()),
        "Smith",
        "Ann",
        BirthDate::new(1950, 3, 1),
    )
    .unwrap();
    variants.push(v);
    let mut v = base.clone();
    v.method = Method::Verbal {
        witness: "W".into(),
    };
    variants.push(v);
    let mut seen = vec![d];
    for v in variants {
        let dv = v.sha256().unwrap();
        assert!(!seen.contains(&dv), "digest unchanged or repeated");
        seen.push(dv);
    }
}

#[test]
fn session_consent_carries_the_digest_and_refusals_give_none() {
    let r = signed();
    let c = r.session_consent(ConsentRef(3), PatientRef(9)).unwrap();
    assert_eq!(c.digest, r.sha256().unwrap());
    assert_eq!(c.purposes, r.purposes);
    let mut refused = r.clone();
    refused.decision = Decision::Refuse;
    assert_eq!(
        refused
            .session_consent(ConsentRef(3), PatientRef(9))
            .unwrap_err(),
        ConsentError::Refused
    );
    let reference = r.reference().unwrap();
    assert_eq!(reference.consent_id, "07070707-0707-4707-8707-070707070707");
    assert_eq!(reference.digest, c.digest);
    // 1_793_000_000_000 ms = 2026-10-26T07:33:20Z (`date -u -d @1793000000`)
    assert_eq!(
        (reference.date.as_str(), reference.time.as_str()),
        ("20261026", "073320")
    );
}

#[test]
fn the_default_text_explains_every_purpose() {
    let text = ConsentText::default_text().unwrap();
    assert_eq!(text.version, "en-GB-v1");
    for p in Purpose::ALL {
        let t = text.purpose(p).unwrap();
        assert!(!t.withdraw.is_empty() && !t.how_long.is_empty() && !t.who_sees.is_empty());
    }
    // Hash ignores formatting but not words.
    let compact = serde_json::to_string(&text).unwrap();
    assert_eq!(
        ConsentText::from_provisioned(&compact)
            .unwrap()
            .sha256()
            .unwrap(),
        text.sha256().unwrap()
    );
    let changed = compact.replacen("Your health record", "Your health records", 1);
    assert_ne!(
        ConsentText::from_provisioned(&changed)
            .unwrap()
            .sha256()
            .unwrap(),
        text.sha256().unwrap()
    );
}

#[test]
fn provisioned_texts_are_checked() {
    let good: serde_json::Value = serde_json::from_str(DEFAULT_TEXT_JSON).unwrap();
    let check = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        edit(&mut v);
        ConsentText::from_provisioned(&v.to_string()).map(|_| ())
    };
    assert_eq!(check(&|_| {}), Ok(()));
    assert_eq!(
        check(&|v| {
            v["purposes"].as_object_mut().unwrap().remove("teaching");
        }),
        Err(ConsentError::TextPurposeMissing {
            purpose: "teaching"
        })
    );
    assert_eq!(
        check(&|v| v["title"] = "<b>Photos</b>".into()),
        Err(ConsentError::TextMarkup)
    );
    assert_eq!(
        check(&|v| v["purposes"]["care"]["stored"] = "a\u{0007}b".into()),
        Err(ConsentError::TextMarkup)
    );
    assert_eq!(
        check(&|v| v["declining"] = "x".repeat(MAX_FIELD_CHARS + 1).into()),
        Err(ConsentError::TextTooLong {
            max: MAX_FIELD_CHARS
        })
    );
    assert!(matches!(
        check(&|v| v["version"] = "v1 <x>".into()),
        Err(ConsentError::TextInvalid { .. })
    ));
    assert!(matches!(
        check(&|v| v["version"] = "".into()),
        Err(ConsentError::TextInvalid { .. })
    ));
    assert!(matches!(
        check(&|v| v["extra"] = 1.into()),
        Err(ConsentError::TextInvalid { .. })
    ));
    assert!(matches!(
        check(&|v| v["purposes"]["care"]["where"] = " ".into()),
        Err(ConsentError::TextInvalid { .. })
    ));
    assert!(matches!(
        ConsentText::from_provisioned("{"),
        Err(ConsentError::TextInvalid { .. })
    ));
    assert_eq!(
        ConsentText::from_provisioned(&" ".repeat(MAX_TEXT_BYTES + 1)).unwrap_err(),
        ConsentError::TextTooLong {
            max: MAX_TEXT_BYTES
        }
    );
}

#[test]
fn errors_have_distinct_codes_and_never_repeat_typed_text() {
    let errors = [
        ConsentError::NoPurpose,
        ConsentError::CareRequired,
        ConsentError::NoPatientIdentifier,
        ConsentError::NoPatientName,
        ConsentError::RepresentativeNameMissing,
        ConsentError::RepresentativeRelationshipMissing,
        ConsentError::BestInterestsReasonMissing,
        ConsentError::WitnessMissing,
        ConsentError::ClinicianMissing,
        ConsentError::FieldTooLong {
            field: "witness's name",
            max: 200,
        },
        ConsentError::TextVersionMismatch {
            shown: "a".into(),
            current: "b".into(),
        },
        ConsentError::SignatureEmpty,
        ConsentError::SignatureTooSmall,
        ConsentError::SignatureTooLarge,
        ConsentError::SignatureMalformed,
        ConsentError::SignatureRender,
        ConsentError::MethodMismatch,
        ConsentError::Refused,
        ConsentError::TextInvalid { detail: "x".into() },
        ConsentError::TextPurposeMissing {
            purpose: "teaching",
        },
        ConsentError::TextMarkup,
        ConsentError::TextTooLong { max: 1 },
        ConsentError::Random,
        ConsentError::Encoding,
    ];
    let mut codes: Vec<&str> = errors.iter().map(|e| e.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
    for e in &errors {
        assert!(e.code().starts_with("consent."));
        assert!(e.to_string().ends_with('.'), "{e}");
        assert_eq!(crate::Error::from(e.clone()).code(), e.code());
    }
    let mut f = form(Method::Verbal {
        witness: "x".repeat(MAX_NAME_CHARS + 1),
    });
    let err = build(f.clone()).unwrap_err();
    assert!(!err.to_string().contains("xxxx"));
    f.text_version = "Ann Smith 9434765919".into();
    assert!(build(f).is_err());
}
