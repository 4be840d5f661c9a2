#![allow(clippy::unwrap_used, clippy::expect_used)]

use dicom_core::value::PixelFragmentSequence;
use dicom_core::{DataElement, PrimitiveValue, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use proptest::prelude::*;

use super::*;

// ---------------------------------------------------------------------------------------------
// STOW-RS replies

const SOP_CLASS: &str = "1.2.840.10008.5.1.4.1.1.77.1.4";
const UID_A: &str = "2.25.22689549372184224178634232906212880436";
const UID_B: &str = "2.25.99110480938470374563129847239412318122";

/// Orthanc's shape (DICOMweb plugin 1.x): Retrieve URL at the top, one Referenced SOP Sequence
/// item per stored instance with its class, instance and URL, and an empty Failed SOP Sequence.
fn orthanc_ok() -> String {
    format!(
        r#"{{
   "00081190" : {{ "Value" : [ "https://localhost:8443/dicom-web/studies/2.25.1" ], "vr" : "UR" }},
   "00081198" : {{ "vr" : "SQ" }},
   "00081199" : {{
      "Value" : [
         {{
            "00081150" : {{ "Value" : [ "{SOP_CLASS}" ], "vr" : "UI" }},
            "00081155" : {{ "Value" : [ "{UID_A}" ], "vr" : "UI" }},
            "00081190" : {{ "Value" : [ "https://localhost:8443/dicom-web/studies/2.25.1/series/2.25.2/instances/{UID_A}" ], "vr" : "UR" }}
         }}
      ],
      "vr" : "SQ"
   }}
}}"#
    )
}

/// A 202: one stored with a warning (B000H, coercion), one failed for lack of resources (A700H).
fn accepted_with_failure() -> String {
    format!(
        r#"{{
  "00081190": {{"vr": "UR", "Value": ["https://pacs/dicom-web/studies/2.25.1"]}},
  "00081196": {{"vr": "US", "Value": [45063]}},
  "00081198": {{"vr": "SQ", "Value": [
    {{"00081150": {{"vr": "UI", "Value": ["{SOP_CLASS}"]}},
     "00081155": {{"vr": "UI", "Value": ["{UID_B}"]}},
     "00081197": {{"vr": "US", "Value": [42752]}}}}
  ]}},
  "00081199": {{"vr": "SQ", "Value": [
    {{"00081150": {{"vr": "UI", "Value": ["{SOP_CLASS}"]}},
     "00081155": {{"vr": "UI", "Value": ["{UID_A}"]}},
     "00081196": {{"vr": "US", "Value": [45056]}}}}
  ]}}
}}"#
    )
}

#[test]
fn orthanc_success_lists_the_stored_instance() {
    let reply = parse_stow_reply(orthanc_ok().as_bytes()).unwrap();
    assert_eq!(
        reply,
        StowReply {
            stored: vec![UID_A.into()],
            failed: vec![],
            warnings: vec![],
        }
    );
}

#[test]
fn a_202_reports_failures_with_their_reason_and_warnings() {
    let reply = parse_stow_reply(accepted_with_failure().as_bytes()).unwrap();
    assert_eq!(reply.stored, vec![UID_A.to_string()]);
    assert_eq!(reply.failed, vec![(UID_B.to_string(), 0xA700)]);
    assert_eq!(reply.failed[0].1, 42752);
    // Top level (B007H) and the referenced item's (B000H), in document order of their keys.
    let mut warnings = reply.warnings.clone();
    warnings.sort_unstable();
    assert_eq!(warnings, vec![0xB000, 0xB007]);
}

#[test]
fn an_array_holding_one_dataset_reads_like_the_object() {
    for body in [orthanc_ok(), accepted_with_failure()] {
        let wrapped = format!("[ {body} ]");
        assert_eq!(
            parse_stow_reply(wrapped.as_bytes()),
            parse_stow_reply(body.as_bytes())
        );
    }
    assert_eq!(parse_stow_reply(b"[]"), Ok(StowReply::default()));
}

#[test]
fn lower_case_tags_string_numbers_and_other_failures_are_read() {
    let body = format!(
        r#"{{"0008119a": {{"vr": "SQ", "Value": [{{"00081197": {{"vr": "US", "Value": ["272"]}}}}]}},
            "00081198": {{"vr": "SQ", "Value": [{{"00081155": {{"vr": "UI", "Value": ["{UID_B}\u0000"]}},
                                                "00081197": {{"vr": "US", "Value": [49152.0]}}}}]}},
            "0008ffff": {{"vr": "LO", "Value": ["ignored"]}}}}"#
    );
    let reply = parse_stow_reply(body.as_bytes()).unwrap();
    let mut failed = reply.failed.clone();
    failed.sort();
    assert_eq!(
        failed,
        vec![(String::new(), 0x0110), (UID_B.to_string(), 0xC000)]
    );
}

#[test]
fn missing_values_are_empty_not_errors() {
    let body = r#"{"00081198": {"vr": "SQ", "Value": [{"00081155": {"vr": "UI"}}]},
                   "00081199": {"vr": "SQ", "Value": [{}, {"00081155": {"vr": "UI", "Value": [null]}}]},
                   "00081196": {"vr": "US", "Value": [null]}}"#;
    let reply = parse_stow_reply(body.as_bytes()).unwrap();
    // A failed item without a Failure Reason is still a failure (0110H, Processing failure).
    assert_eq!(reply.failed, vec![(String::new(), 0x0110)]);
    assert_eq!(reply.stored, vec![String::new(), String::new()]);
    assert!(reply.warnings.is_empty());
}

#[test]
fn an_empty_body_is_an_empty_reply() {
    for body in [
        &b""[..],
        b"  \r\n\t",
        b"\xEF\xBB\xBF",
        b"{}",
        b"\xEF\xBB\xBF{}",
    ] {
        assert_eq!(parse_stow_reply(body), Ok(StowReply::default()), "{body:?}");
    }
}

#[test]
fn what_is_not_one_dicom_json_dataset_is_refused() {
    let cases: [(&[u8], ReplyError); 12] = [
        (b"<html>502 Bad Gateway</html>", ReplyError::NotJson),
        (b"{\"00081199\": ", ReplyError::NotJson),
        (b"\xff\xfe{}", ReplyError::NotJson),
        (b"{\"error\": \"Unauthorized\"}", ReplyError::NotDicomJson),
        (b"{\"0008119\": {}}", ReplyError::NotDicomJson),
        (b"{\"0008119G\": {}}", ReplyError::NotDicomJson),
        (b"{\"00081199\": [1]}", ReplyError::NotDicomJson),
        (b"{\"00081199\": {\"Value\": {}}}", ReplyError::NotDicomJson),
        (
            b"{\"00081199\": {\"Value\": [1]}}",
            ReplyError::NotDicomJson,
        ),
        (b"[{}, {}]", ReplyError::NotDicomJson),
        (b"\"stored\"", ReplyError::NotDicomJson),
        (
            b"{\"00081199\": {\"Value\": [{\"00081155\": {\"Value\": [1.5]}}]}}",
            ReplyError::NotDicomJson,
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(
            parse_stow_reply(body),
            Err(expected),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn a_tag_named_twice_is_refused() {
    let body =
        r#"{"0008119A": {"vr": "SQ", "Value": [{}]}, "0008119a": {"vr": "SQ", "Value": [{}]}}"#;
    assert_eq!(
        parse_stow_reply(body.as_bytes()),
        Err(ReplyError::NotDicomJson)
    );
    let item = r#"{"00081199": {"vr": "SQ", "Value": [{"0008119A": {}, "0008119a": {}}]}}"#;
    assert_eq!(
        parse_stow_reply(item.as_bytes()),
        Err(ReplyError::NotDicomJson)
    );
}

#[test]
fn a_reply_written_back_reads_the_same() {
    for body in [orthanc_ok(), accepted_with_failure()] {
        let reply = parse_stow_reply(body.as_bytes()).unwrap();
        let canonical = fuzzing::canonical_stow_reply(&reply);
        assert_eq!(parse_stow_reply(canonical.as_bytes()), Ok(reply));
    }
}

#[test]
fn status_codes_outside_u16_are_refused() {
    for value in ["70000", "-1", "\"0xA700\"", "\"\"", "1.5", "true", "[1]"] {
        let body = format!(r#"{{"00081196": {{"vr": "US", "Value": [{value}]}}}}"#);
        assert_eq!(
            parse_stow_reply(body.as_bytes()),
            Err(ReplyError::BadStatusCode),
            "{value}"
        );
    }
}

#[test]
fn more_than_ten_thousand_items_are_refused() {
    let items = |n: usize| {
        let item = r#"{"00081155":{"Value":["1.2"]}}"#;
        format!(
            r#"{{"00081199":{{"vr":"SQ","Value":[{}]}}}}"#,
            vec![item; n].join(",")
        )
    };
    assert_eq!(
        parse_stow_reply(items(MAX_ITEMS).as_bytes())
            .unwrap()
            .stored
            .len(),
        MAX_ITEMS
    );
    assert_eq!(
        parse_stow_reply(items(MAX_ITEMS + 1).as_bytes()),
        Err(ReplyError::TooManyItems)
    );
}

#[test]
fn deep_nesting_and_huge_bodies_are_refused() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(parse_stow_reply(deep.as_bytes()), Err(ReplyError::NotJson));
    let mut huge = b"{".to_vec();
    huge.resize(MAX_STOW_REPLY_BYTES + 1, b' ');
    assert_eq!(parse_stow_reply(&huge), Err(ReplyError::TooLarge));
}

// ---------------------------------------------------------------------------------------------
// multipart/related

const CT: &str = "multipart/related; type=\"application/dicom\"; boundary=0f2e5b1c-7d4a";

fn bodies<'a>(parts: &[Part<'a>]) -> Vec<&'a [u8]> {
    parts.iter().map(|p| p.body).collect()
}

#[test]
fn a_wado_rs_reply_splits_into_its_parts() {
    let body = b"--0f2e5b1c-7d4a\r\n\
Content-Type: application/dicom\r\n\
Content-Length: 6\r\n\
MIME-Version: 1.0\r\n\
\r\n\
DICM\r\n\
\r\n--0f2e5b1c-7d4a\r\n\
content-type: application/dicom;transfer-syntax=1.2.840.10008.1.2.4.50\r\n\
\r\n\
\x00\x01--0f2e5b1c-7d4a\r\n\
--0f2e5b1c-7d4a--\r\n";
    let parts = parse_multipart(CT, body).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].content_type, Some("application/dicom"));
    assert_eq!(parts[0].body, b"DICM\r\n");
    assert_eq!(
        parts[1].content_type,
        Some("application/dicom;transfer-syntax=1.2.840.10008.1.2.4.50")
    );
    // The boundary inside a part, not at a line start, is content.
    assert_eq!(parts[1].body, b"\x00\x01--0f2e5b1c-7d4a");
}

#[test]
fn quoted_and_unquoted_boundaries_and_parameter_case() {
    let body = b"--a'b(c)+_,-./:=? d\r\nContent-Type: x\r\n\r\nX\r\n--a'b(c)+_,-./:=? d--";
    for ct in [
        "multipart/related; boundary=\"a'b(c)+_,-./:=? d\"",
        "Multipart/Related;type=\"a;boundary=wrong\";BOUNDARY=\"a'b(c)+_,-./:=? d\"",
        "multipart/related ; start=\"<1@x>\" ; Boundary = \"a'b(c)+_,-./:=? d\" ;",
        "multipart/related; boundary=\"a'b\\(c)+_,-./:=? d\"",
    ] {
        let parts = parse_multipart(ct, body).unwrap_or_else(|e| panic!("{ct}: {e:?}"));
        assert_eq!(bodies(&parts), vec![&b"X"[..]], "{ct}");
    }
    let unquoted = parse_multipart(
        "multipart/related;boundary=abc;type=application/dicom",
        b"--abc\r\n\r\nY\r\n--abc--",
    )
    .unwrap();
    assert_eq!(bodies(&unquoted), vec![&b"Y"[..]]);
    assert_eq!(unquoted[0].content_type, None);
}

#[test]
fn bare_lf_delimiters_preamble_padding_and_epilogue() {
    let body = b"This is a preamble.\n--abc  \t\nContent-Type: application/dicom\n\nONE\n--abc\n\nTWO\r\n\n--abc--  epilogue\n--abc\nignored\n";
    let parts = parse_multipart("multipart/related; boundary=abc", body).unwrap();
    assert_eq!(bodies(&parts), vec![&b"ONE"[..], &b"TWO\r\n"[..]]);
    assert_eq!(parts[0].content_type, Some("application/dicom"));
}

#[test]
fn delimiter_lookalikes_are_content() {
    // `--abc` at a line start but followed by text, and `--abcd`, are not delimiters.
    let body = b"--abc\r\n\r\nline\r\n--abcd\r\n--abc x\r\nend\r\n--abc--";
    let parts = parse_multipart("multipart/related; boundary=abc", body).unwrap();
    assert_eq!(
        bodies(&parts),
        vec![&b"line\r\n--abcd\r\n--abc x\r\nend"[..]]
    );
}

#[test]
fn empty_parts_and_parts_without_a_blank_line() {
    let body = b"--b\r\n--b\r\nContent-Type: text/plain\r\n--b\r\n\r\n\r\n--b--";
    let parts = parse_multipart("multipart/related; boundary=b", body).unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0].body, b"");
    assert_eq!(parts[1].content_type, Some("text/plain"));
    assert_eq!(parts[1].body, b"");
    assert_eq!(parts[2].body, b"");
}

#[test]
fn a_body_cut_short_or_without_parts_is_refused() {
    let ct = "multipart/related; boundary=abc";
    let cases: [(&[u8], ReplyError); 7] = [
        (b"--abc\r\n\r\nDATA", ReplyError::Unterminated),
        (b"--abc\r\n\r\nDATA\r\n--abc", ReplyError::Unterminated),
        (b"--abc\r\n\r\nDATA\r\n--abc\r\n", ReplyError::Unterminated),
        (b"--abc\r\n\r\nDATA\r\n-abc--", ReplyError::Unterminated),
        (b"", ReplyError::NoParts),
        (b"no delimiter at all", ReplyError::NoParts),
        (b"--abc--\r\n", ReplyError::NoParts),
    ];
    for (body, expected) in cases {
        assert_eq!(
            parse_multipart(ct, body),
            Err(expected),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn bad_content_types_and_boundaries_are_refused() {
    let body = b"--abc\r\n\r\nX\r\n--abc--";
    let long = "b".repeat(MAX_BOUNDARY_LEN + 1);
    let longest = "b".repeat(MAX_BOUNDARY_LEN);
    let cases = [
        ("application/dicom; boundary=abc", ReplyError::NotMultipart),
        ("multipart/mixed; boundary=abc", ReplyError::NotMultipart),
        (
            "multipart/related; boundary=\"abc",
            ReplyError::NotMultipart,
        ),
        (
            "multipart/related; boundary=abc def",
            ReplyError::NotMultipart,
        ),
        ("multipart/related", ReplyError::BadBoundary),
        (
            "multipart/related; type=\"application/dicom\"",
            ReplyError::BadBoundary,
        ),
        ("multipart/related; boundary=", ReplyError::BadBoundary),
        ("multipart/related; boundary=\"\"", ReplyError::BadBoundary),
        (
            "multipart/related; boundary=\"abc \"",
            ReplyError::BadBoundary,
        ),
        (
            "multipart/related; boundary=\"a\u{e9}\"",
            ReplyError::BadBoundary,
        ),
    ];
    for (ct, expected) in cases {
        assert_eq!(parse_multipart(ct, body), Err(expected), "{ct}");
    }
    let ct = format!("multipart/related; boundary={long}");
    assert_eq!(parse_multipart(&ct, body), Err(ReplyError::BadBoundary));
    let ct = format!("multipart/related; boundary={longest}");
    let body = format!("--{longest}\r\n\r\nX\r\n--{longest}--");
    assert_eq!(parse_multipart(&ct, body.as_bytes()).unwrap().len(), 1);
}

#[test]
fn header_lines_without_a_colon_are_refused() {
    let ct = "multipart/related; boundary=abc";
    assert_eq!(
        parse_multipart(ct, b"--abc\r\nDICM\x00\x01\r\n\r\nX\r\n--abc--"),
        Err(ReplyError::BadPartHeaders)
    );
    assert_eq!(
        parse_multipart(ct, b"--abc\r\nContent-Type: \xff\r\n\r\nX\r\n--abc--"),
        Err(ReplyError::BadPartHeaders)
    );
    // A folded continuation line is skipped, not refused.
    let parts = parse_multipart(
        ct,
        b"--abc\r\nContent-Type: application/dicom;\r\n transfer-syntax=*\r\n\r\nX\r\n--abc--",
    )
    .unwrap();
    assert_eq!(parts[0].content_type, Some("application/dicom;"));
}

#[test]
fn part_debug_shows_no_content() {
    let part = Part {
        content_type: Some("application/dicom"),
        body: b"SMITH^JOHN",
    };
    let shown = format!("{part:?}");
    assert!(!shown.contains("SMITH") && !shown.contains("83"), "{shown}");
    assert!(shown.contains("body_len: 10"), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// Part-10 files and their first frame

/// A small baseline JPEG (4:2:0, as phones write it), of odd or even length as asked.
fn jpeg(odd: bool) -> Vec<u8> {
    let (w, h) = (24u16, 16u16);
    let rgb: Vec<u8> = (0..usize::from(w) * usize::from(h) * 3)
        .map(|i| (i.wrapping_mul(37) % 251) as u8)
        .collect();
    for quality in 50..100 {
        let mut out = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
        encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
        encoder
            .encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        if out.len() % 2 == usize::from(odd) {
            return out;
        }
    }
    panic!("no quality gave the parity asked for");
}

/// Pads a fragment to even length with one zero byte (PS3.5 §A.4).
fn padded(mut b: Vec<u8>) -> Vec<u8> {
    if b.len() % 2 == 1 {
        b.push(0);
    }
    b
}

/// A VL Photographic Image as WardCam writes it, built with dicom-rs: the given offset table and
/// fragments, optionally a Number of Frames.
fn instance(offsets: Vec<u32>, fragments: Vec<Vec<u8>>, frames: Option<&str>) -> Vec<u8> {
    let mut obj = InMemDicomObject::new_empty();
    let text = |s: &str| PrimitiveValue::from(s);
    obj.put(DataElement::new(
        tags::SPECIFIC_CHARACTER_SET,
        VR::CS,
        text("ISO_IR 192"),
    ));
    obj.put(DataElement::new(
        tags::SOP_CLASS_UID,
        VR::UI,
        text(uids::VL_PHOTOGRAPHIC_IMAGE_STORAGE),
    ));
    obj.put(DataElement::new(
        tags::SOP_INSTANCE_UID,
        VR::UI,
        text(UID_A),
    ));
    obj.put(DataElement::new(
        tags::PATIENT_NAME,
        VR::PN,
        text("SMITH^JOHN"),
    ));
    obj.put(DataElement::new(
        tags::PATIENT_ID,
        VR::LO,
        text("9434765919"),
    ));
    obj.put(DataElement::new(
        tags::OTHER_PATIENT_I_DS_SEQUENCE,
        VR::SQ,
        dicom_core::value::DataSetSequence::from(vec![InMemDicomObject::from_element_iter([
            DataElement::new(tags::PATIENT_ID, VR::LO, text("9434765919")),
            DataElement::new(tags::TYPE_OF_PATIENT_ID, VR::CS, text("TEXT")),
        ])]),
    ));
    obj.put(DataElement::new(tags::MODALITY, VR::CS, text("XC")));
    obj.put(DataElement::new(
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        text("YBR_FULL_422"),
    ));
    obj.put(DataElement::new(
        tags::ROWS,
        VR::US,
        PrimitiveValue::from(16u16),
    ));
    obj.put(DataElement::new(
        tags::COLUMNS,
        VR::US,
        PrimitiveValue::from(24u16),
    ));
    if let Some(frames) = frames {
        obj.put(DataElement::new(
            tags::NUMBER_OF_FRAMES,
            VR::IS,
            text(frames),
        ));
    }
    obj.put(DataElement::new(
        tags::PIXEL_DATA,
        VR::OB,
        PixelFragmentSequence::new(offsets, fragments),
    ));
    let file = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(uids::JPEG_BASELINE8_BIT)
                .implementation_class_uid("2.25.1"),
        )
        .unwrap();
    let mut out = Vec::new();
    file.write_all(&mut out).unwrap();
    out
}

/// A Part-10 file from a File Meta group dicom-rs writes and a hand-made data set.
fn raw_file(transfer_syntax: &str, dataset: &[u8]) -> Vec<u8> {
    let meta = FileMetaTableBuilder::new()
        .transfer_syntax(transfer_syntax)
        .media_storage_sop_class_uid(uids::VL_PHOTOGRAPHIC_IMAGE_STORAGE)
        .media_storage_sop_instance_uid(UID_A)
        .implementation_class_uid("2.25.1")
        .build()
        .unwrap();
    let mut out = vec![0u8; 128];
    out.extend_from_slice(b"DICM");
    meta.write(&mut out).unwrap();
    out.extend_from_slice(dataset);
    out
}

/// An explicit VR little endian element.
fn element(group: u16, elem: u16, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
    let mut out = [group.to_le_bytes(), elem.to_le_bytes()].concat();
    out.extend_from_slice(vr);
    if part10::LONG_VRS.contains(&vr) {
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    } else {
        out.extend_from_slice(&(value.len() as u16).to_le_bytes());
    }
    out.extend_from_slice(value);
    out
}

/// An item or delimiter header: (FFFE,elem) and a 32-bit length.
fn item_header(elem: u16, len: u32) -> Vec<u8> {
    [
        0xFFFEu16.to_le_bytes().as_slice(),
        &elem.to_le_bytes(),
        &len.to_le_bytes(),
    ]
    .concat()
}

/// Encapsulated Pixel Data, undefined length: offset table, fragments, delimiter.
fn pixel_sequence(offsets: &[u32], fragments: &[&[u8]]) -> Vec<u8> {
    let mut out = [0x7FE0u16.to_le_bytes(), 0x0010u16.to_le_bytes()].concat();
    out.extend_from_slice(b"OB\0\0");
    out.extend_from_slice(&u32::MAX.to_le_bytes());
    let table: Vec<u8> = offsets.iter().flat_map(|o| o.to_le_bytes()).collect();
    out.extend(item_header(0xE000, table.len() as u32));
    out.extend(table);
    for f in fragments {
        out.extend(item_header(0xE000, f.len() as u32));
        out.extend_from_slice(f);
    }
    out.extend(item_header(0xE0DD, 0));
    out
}

#[test]
fn the_frame_of_a_single_frame_instance_is_its_fragment() {
    for odd in [false, true] {
        let jpeg = jpeg(odd);
        let file = instance(vec![], vec![padded(jpeg.clone())], None);
        let frame = encapsulated_frame(&file).unwrap();
        assert_eq!(*frame, padded(jpeg.clone()));
        assert!(received_matches(&frame_digest(&jpeg), jpeg.len(), &frame));
        // Without the preamble (dicom-rs finds `DICM` at the start) the frame is the same.
        assert_eq!(*encapsulated_frame(&file[128..]).unwrap(), *frame);
    }
}

#[test]
fn an_odd_length_frame_comes_back_with_one_zero_pad_byte() {
    let jpeg = jpeg(true);
    let frame = encapsulated_frame(&instance(vec![], vec![padded(jpeg.clone())], None)).unwrap();
    assert_eq!(frame.len(), jpeg.len() + 1);
    assert_eq!(frame.last(), Some(&0));
    assert!(received_matches(&frame_digest(&jpeg), jpeg.len(), &frame));
    // The same bytes with a non-zero pad are someone else's frame.
    let mut wrong = frame.to_vec();
    *wrong.last_mut().unwrap() = 0xD9;
    assert!(!received_matches(&frame_digest(&jpeg), jpeg.len(), &wrong));
}

#[test]
fn fragments_of_one_frame_are_concatenated() {
    let jpeg = jpeg(false);
    let (a, b) = jpeg.split_at(100);
    let file = instance(vec![], vec![a.to_vec(), b.to_vec()], Some("1"));
    assert_eq!(*encapsulated_frame(&file).unwrap(), jpeg);
    // With a one-entry offset table: the same.
    let file = instance(vec![0], vec![a.to_vec(), b.to_vec()], None);
    assert_eq!(*encapsulated_frame(&file).unwrap(), jpeg);
}

#[test]
fn the_offset_table_picks_frame_one_of_several() {
    let one = jpeg(false);
    let two = jpeg(true);
    let (a, b) = one.split_at(100);
    let second = 8 + a.len() as u32 + 8 + b.len() as u32;
    let file = instance(
        vec![0, second],
        vec![a.to_vec(), b.to_vec(), padded(two.clone())],
        Some("2"),
    );
    assert_eq!(*encapsulated_frame(&file).unwrap(), one);
    // One fragment per frame and no table: the first fragment.
    let file = instance(vec![], vec![one.clone(), padded(two.clone())], Some("2"));
    assert_eq!(*encapsulated_frame(&file).unwrap(), one);
    // Three fragments, two frames, no table: which fragments are frame 1 is unknown.
    let file = instance(
        vec![],
        vec![a.to_vec(), b.to_vec(), padded(two.clone())],
        Some("2"),
    );
    assert_eq!(
        encapsulated_frame(&file).unwrap_err(),
        ReplyError::FramesAmbiguous
    );
    // A table that points between fragments, or frame 2 before frame 1.
    for offsets in [vec![0, 9], vec![4, second], vec![second, 0], vec![0]] {
        let file = instance(
            offsets.clone(),
            vec![a.to_vec(), b.to_vec(), padded(two.clone())],
            Some("2"),
        );
        assert_eq!(
            encapsulated_frame(&file).unwrap_err(),
            ReplyError::BadOffsetTable,
            "{offsets:?}"
        );
    }
}

#[test]
fn native_and_missing_pixel_data_are_refused() {
    let ts_native = uids::EXPLICIT_VR_LITTLE_ENDIAN;
    let rows = element(0x0028, 0x0010, b"US", &16u16.to_le_bytes());
    let native = [rows.clone(), element(0x7FE0, 0x0010, b"OB", &[0x80; 16])].concat();
    assert_eq!(
        encapsulated_frame(&raw_file(ts_native, &native)).unwrap_err(),
        ReplyError::NativePixelData
    );
    assert_eq!(
        encapsulated_frame(&raw_file(ts_native, &rows)).unwrap_err(),
        ReplyError::NoPixelData
    );
    assert_eq!(
        encapsulated_frame(&raw_file(uids::JPEG_BASELINE8_BIT, &rows)).unwrap_err(),
        ReplyError::NoPixelData
    );
    for ts in [
        uids::IMPLICIT_VR_LITTLE_ENDIAN,
        "1.2.840.10008.1.2.2", // Explicit VR Big Endian (retired)
        uids::DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    ] {
        assert_eq!(
            encapsulated_frame(&raw_file(ts, &native)).unwrap_err(),
            ReplyError::NativePixelData,
            "{ts}"
        );
    }
    for ts in ["1.2.840.10008.1.2.4.100", "1.2.3.4", ""] {
        assert_eq!(
            encapsulated_frame(&raw_file(ts, &native)).unwrap_err(),
            ReplyError::UnsupportedTransferSyntax,
            "{ts}"
        );
    }
}

#[test]
fn an_empty_pixel_sequence_has_no_fragments() {
    let ts = uids::JPEG_BASELINE8_BIT;
    assert_eq!(
        encapsulated_frame(&raw_file(ts, &pixel_sequence(&[], &[]))).unwrap_err(),
        ReplyError::NoFragments
    );
    let frame = encapsulated_frame(&raw_file(ts, &pixel_sequence(&[], &[b"\xFF\xD8\xFF\xD9"])));
    assert_eq!(*frame.unwrap(), b"\xFF\xD8\xFF\xD9");
}

#[test]
fn what_is_not_a_whole_dicom_file_is_refused() {
    let file = instance(vec![], vec![padded(jpeg(true))], None);
    assert_eq!(encapsulated_frame(b"").unwrap_err(), ReplyError::NotDicom);
    assert_eq!(
        encapsulated_frame(&file[..128]).unwrap_err(),
        ReplyError::NotDicom
    );
    assert_eq!(
        encapsulated_frame(b"\xFF\xD8\xFF\xE0 a JPEG, not DICOM").unwrap_err(),
        ReplyError::NotDicom
    );
    // Cut anywhere after the magic: damaged (or, cut before the pixel data, missing it).
    for cut in (132..file.len()).step_by(7) {
        let err = encapsulated_frame(&file[..cut]).unwrap_err();
        assert!(
            matches!(err, ReplyError::DicomDamaged | ReplyError::NoPixelData),
            "cut at {cut}: {err:?}"
        );
    }
    // Trailing bytes after the data set.
    let mut longer = file.clone();
    longer.extend_from_slice(b"\0\0");
    assert_eq!(
        encapsulated_frame(&longer).unwrap_err(),
        ReplyError::DicomDamaged
    );
}

#[test]
fn a_claimed_length_beyond_the_file_is_refused_before_anything_is_allocated() {
    let ts = uids::JPEG_BASELINE8_BIT;
    let huge = 0xFFFF_FFF0u32.to_le_bytes();
    // A long-VR element, a fragment, an offset table and a sequence claiming ~4 GiB.
    let claims = [
        [b"\x08\x00\x30\x00UT\0\0".as_slice(), &huge].concat(),
        [
            pixel_sequence(&[], &[])[..12].to_vec(),
            item_header(0xE000, 0),
            item_header(0xE000, 0xFFFF_FFF0),
        ]
        .concat(),
        [
            pixel_sequence(&[], &[])[..12].to_vec(),
            item_header(0xE000, 0xFFFF_FFF0),
        ]
        .concat(),
        [b"\x08\x00\x15\x11SQ\0\0".as_slice(), &huge].concat(),
    ];
    for dataset in claims {
        assert_eq!(
            encapsulated_frame(&raw_file(ts, &dataset)).unwrap_err(),
            ReplyError::DicomDamaged
        );
    }
    // The same in the File Meta group: a Transfer Syntax UID claiming ~4 GiB.
    let mut file = vec![0u8; 128];
    file.extend_from_slice(b"DICM\x02\x00\x00\x00UL\x04\x00\x20\x00\x00\x00");
    file.extend_from_slice(b"\x02\x00\x10\x00UN\0\0");
    file.extend_from_slice(&huge);
    file.extend_from_slice(b"1.2.840.10008.1.2.4.50");
    assert_eq!(
        encapsulated_frame(&file).unwrap_err(),
        ReplyError::DicomDamaged
    );
}

#[test]
fn binary_values_of_a_length_dicom_rs_would_misread_are_refused() {
    let ts = uids::JPEG_BASELINE8_BIT;
    let frame: &[u8] = b"\xFF\xD8\xFF\xD9";
    for (vr, len) in [
        (b"FD", 2usize),
        (b"US", 3),
        (b"UL", 6),
        (b"AT", 2),
        (b"OW", 1),
        (b"OF", 2),
        (b"UV", 4),
    ] {
        let dataset = [
            element(0x0028, 0x0010, vr, &vec![0; len]),
            pixel_sequence(&[], &[frame]),
        ]
        .concat();
        assert_eq!(
            part10::check(&raw_file(ts, &dataset)),
            Err(ReplyError::DicomDamaged),
            "{}",
            String::from_utf8_lossy(vr)
        );
    }
    let whole = [
        element(0x0028, 0x0010, b"US", &16u16.to_le_bytes()),
        element(0x0018, 0x1164, b"FD", &0.5f64.to_le_bytes()),
        pixel_sequence(&[], &[frame]),
    ]
    .concat();
    assert_eq!(*encapsulated_frame(&raw_file(ts, &whole)).unwrap(), frame);
}

/// Found by the `dicom_frame` fuzz target (its allocation check): Rows as FD with length 2.
/// dicom-rs reads FD as whole 8-byte values, so it read 0 bytes for it, lost its place and took
/// later bytes for an OB element of 1.5 MiB, allocated before reading. The check refuses it.
#[test]
fn fuzz_case_fd_of_length_2_is_refused_before_dicom_rs_reads_it() {
    let input = include_bytes!("testdata/fd_length_2_misread.dcm");
    assert_eq!(part10::check(input), Err(ReplyError::DicomDamaged));
    assert_eq!(encapsulated_frame(input), Err(ReplyError::DicomDamaged));
    fuzzing::dicom_frame(input);
}

#[test]
fn sequences_nested_too_deeply_are_refused() {
    let ts = uids::JPEG_BASELINE8_BIT;
    let frame: &[u8] = b"\xFF\xD8\xFF\xD9";
    let nested = |depth: usize| {
        let mut inner = Vec::new();
        for _ in 0..depth {
            let item = [item_header(0xE000, inner.len() as u32), inner].concat();
            inner = element(0x0008, 0x1115, b"SQ", &item);
        }
        [inner, pixel_sequence(&[], &[frame])].concat()
    };
    assert_eq!(
        *encapsulated_frame(&raw_file(ts, &nested(part10::MAX_DEPTH))).unwrap(),
        frame
    );
    assert_eq!(
        encapsulated_frame(&raw_file(ts, &nested(part10::MAX_DEPTH + 1))).unwrap_err(),
        ReplyError::DicomDamaged
    );
}

#[test]
fn undefined_length_sequences_and_items_are_read() {
    let ts = uids::JPEG_BASELINE8_BIT;
    let frame: &[u8] = b"\xFF\xD8\x00\xFF\xD9\x00";
    let code = element(0x0008, 0x0100, b"SH", b"56459004");
    let sequence = [
        b"\x08\x00\x18\x22SQ\0\0\xFF\xFF\xFF\xFF".as_slice(),
        &item_header(0xE000, u32::MAX),
        &code,
        &item_header(0xE00D, 0),
        &item_header(0xE000, code.len() as u32),
        &code,
        &item_header(0xE0DD, 0),
    ]
    .concat();
    let dataset = [sequence.clone(), pixel_sequence(&[0], &[frame])].concat();
    assert_eq!(*encapsulated_frame(&raw_file(ts, &dataset)).unwrap(), frame);
    // A sequence whose delimiter never comes, and an item delimiter outside an item.
    let unclosed = [
        sequence[..sequence.len() - 8].to_vec(),
        pixel_sequence(&[], &[frame]),
    ]
    .concat();
    assert_eq!(
        encapsulated_frame(&raw_file(ts, &unclosed)).unwrap_err(),
        ReplyError::DicomDamaged
    );
    let stray = [item_header(0xE00D, 0), pixel_sequence(&[], &[frame])].concat();
    assert_eq!(
        encapsulated_frame(&raw_file(ts, &stray)).unwrap_err(),
        ReplyError::DicomDamaged
    );
    // An offset table that is not whole 32-bit words.
    let mut odd_table = pixel_sequence(&[], &[frame]);
    odd_table.splice(12..20, [item_header(0xE000, 2), vec![0, 0]].concat());
    assert_eq!(
        encapsulated_frame(&raw_file(ts, &odd_table)).unwrap_err(),
        ReplyError::DicomDamaged
    );
}

// ---------------------------------------------------------------------------------------------
// Digests

#[test]
fn the_pad_byte_is_accepted_only_after_an_odd_length_and_only_if_zero() {
    let odd = b"abc";
    let even = b"abcd";
    let d_odd = frame_digest(odd);
    let d_even = frame_digest(even);
    assert!(received_matches(&d_odd, 3, b"abc"));
    assert!(received_matches(&d_odd, 3, b"abc\0"));
    assert!(!received_matches(&d_odd, 3, b"abc\x01"));
    assert!(!received_matches(&d_odd, 3, b"abc\0\0"));
    assert!(!received_matches(&d_odd, 3, b"ab"));
    assert!(!received_matches(&d_odd, 3, b"abd"));
    assert!(!received_matches(&d_odd, 4, b"abc\0"));
    assert!(received_matches(&d_even, 4, b"abcd"));
    assert!(!received_matches(&d_even, 4, b"abcd\0"));
    let d_empty = frame_digest(b"");
    assert!(received_matches(&d_empty, 0, b""));
    assert!(!received_matches(&d_empty, 0, b"\0"));
    assert!(!received_matches(&d_odd, usize::MAX, b"abc"));
    // SHA-256 of "abc" (FIPS 180-2 appendix B.1).
    assert_eq!(
        hex::encode(d_odd),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

// ---------------------------------------------------------------------------------------------
// Errors

#[test]
fn error_codes_are_distinct_and_messages_carry_no_placeholders() {
    let all = [
        ReplyError::TooLarge,
        ReplyError::NotJson,
        ReplyError::NotDicomJson,
        ReplyError::BadStatusCode,
        ReplyError::TooManyItems,
        ReplyError::NotMultipart,
        ReplyError::BadBoundary,
        ReplyError::NoParts,
        ReplyError::Unterminated,
        ReplyError::BadPartHeaders,
        ReplyError::NotDicom,
        ReplyError::DicomDamaged,
        ReplyError::UnsupportedTransferSyntax,
        ReplyError::NativePixelData,
        ReplyError::NoPixelData,
        ReplyError::NoFragments,
        ReplyError::BadOffsetTable,
        ReplyError::FramesAmbiguous,
    ];
    let codes: std::collections::BTreeSet<_> = all.iter().map(ReplyError::code).collect();
    assert_eq!(codes.len(), all.len());
    for e in all {
        assert!(e.code().starts_with("reply."), "{}", e.code());
        let message = e.to_string();
        assert!(
            message.ends_with('.') && !message.contains('{'),
            "{message}"
        );
        assert!(
            message.contains("IT") || message.contains("Try again"),
            "{message}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Fuzz bodies: the seeds, then random and mutated inputs, so the targets cannot rot.

/// The seeds written to `fuzz/corpus/`, by target.
fn stow_seeds() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("orthanc_ok.json", orthanc_ok().into_bytes()),
        ("accepted_with_failure.json", accepted_with_failure().into_bytes()),
        (
            "array_wrapped.json",
            format!("[{}]", orthanc_ok()).into_bytes(),
        ),
        (
            "other_failures_lower_case.json",
            br#"{"0008119a":{"vr":"SQ","Value":[{"00081150":{"vr":"UI","Value":["1.2.840.10008.5.1.4.1.1.77.1.4"]},"00081197":{"vr":"US","Value":["272"]}}]},"00081196":{"vr":"US","Value":[null]}}"#.to_vec(),
        ),
    ]
}

fn multipart_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let dicom = instance(vec![], vec![padded(jpeg(true))], None);
    let mut wado = b"multipart/related; type=\"application/dicom\"; boundary=0f2e5b1c-7d4a\n--0f2e5b1c-7d4a\r\nContent-Type: application/dicom\r\n\r\n".to_vec();
    wado.extend_from_slice(&dicom);
    wado.extend_from_slice(b"\r\n--0f2e5b1c-7d4a--\r\n");
    vec![
        ("wado_instance", wado),
        (
            "two_parts_quoted",
            b"Multipart/Related; BOUNDARY=\"a'b:c d\"; type=\"application/octet-stream; transfer-syntax=*\"\npreamble\r\n--a'b:c d\r\ncontent-type: application/octet-stream\r\n\r\n\xFF\xD8--a'b:c d\xFF\xD9\r\n--a'b:c d  \r\n\r\n\r\n--a'b:c d--epilogue".to_vec(),
        ),
        (
            "lf_only",
            b"multipart/related;boundary=b\n--b\nContent-Type: application/dicom\n\nONE\n--b\n\nTWO\n--b--\n".to_vec(),
        ),
        (
            "unterminated",
            b"multipart/related; boundary=abc\n--abc\r\n\r\nDATA\r\n--abc".to_vec(),
        ),
    ]
}

fn frame_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let one = jpeg(false);
    let (a, b) = one.split_at(100);
    let second = 8 + a.len() as u32 + 8 + b.len() as u32;
    vec![
        (
            "vl_photo_jpeg_odd.dcm",
            instance(vec![], vec![padded(jpeg(true))], None),
        ),
        (
            "two_frames_offset_table.dcm",
            instance(
                vec![0, second],
                vec![a.to_vec(), b.to_vec(), padded(jpeg(true))],
                Some("2"),
            ),
        ),
        (
            "no_preamble_two_fragments.dcm",
            instance(vec![], vec![a.to_vec(), b.to_vec()], Some("1"))[128..].to_vec(),
        ),
    ]
}

#[test]
fn fuzz_bodies_hold_for_the_seeds() {
    for (_, seed) in stow_seeds() {
        assert!(parse_stow_reply(&seed).is_ok());
        fuzzing::stow_reply(&seed);
    }
    for (name, seed) in multipart_seeds() {
        fuzzing::wado_multipart(&seed);
        let split = seed.iter().position(|&b| b == b'\n').unwrap();
        let parsed = parse_multipart(
            std::str::from_utf8(&seed[..split]).unwrap(),
            &seed[split + 1..],
        );
        assert_eq!(parsed.is_ok(), name != "unterminated", "{name}");
    }
    for (_, seed) in frame_seeds() {
        assert!(encapsulated_frame(&seed).is_ok());
        fuzzing::dicom_frame(&seed);
    }
    // The WADO-RS seed's part is the frame seed's instance.
    let (_, wado) = &multipart_seeds()[0];
    let split = wado.iter().position(|&b| b == b'\n').unwrap();
    let parts = parse_multipart(
        std::str::from_utf8(&wado[..split]).unwrap(),
        &wado[split + 1..],
    )
    .unwrap();
    assert_eq!(parts[0].body, frame_seeds()[0].1.as_slice());
}

/// Flips bytes of `seed`, then maybe truncates it (the FHIR parsers' properties use it too).
pub(crate) fn mutate(
    mut b: Vec<u8>,
    flips: Vec<(prop::sample::Index, u8)>,
    cut: prop::sample::Index,
    truncate: bool,
) -> Vec<u8> {
    if !b.is_empty() {
        for (at, x) in flips {
            let i = at.index(b.len());
            b[i] ^= x;
        }
    }
    if truncate {
        b.truncate(cut.index(b.len() + 1));
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn fuzz_bodies_survive_random_input(b in prop::collection::vec(any::<u8>(), 0..400)) {
        fuzzing::stow_reply(&b);
        fuzzing::wado_multipart(&b);
        fuzzing::dicom_frame(&b);
        fuzzing::digest_rules(&b);
        // Behind a plausible prefix, random bytes reach the parsers' insides.
        fuzzing::stow_reply(&[b"{\"00081199\":{\"vr\":\"SQ\",\"Value\":[".as_slice(), &b].concat());
        fuzzing::wado_multipart(&[b"multipart/related; boundary=b\n--b\r\n".as_slice(), &b].concat());
        let seed = &frame_seeds()[0].1;
        fuzzing::dicom_frame(&[&seed[..seed.len() / 2], &b].concat());
    }

    #[test]
    fn fuzz_bodies_survive_mutated_seeds(
        which in 0usize..11,
        flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 0..4),
        cut in any::<prop::sample::Index>(),
        truncate: bool,
    ) {
        let stow = stow_seeds();
        let multipart = multipart_seeds();
        let frames = frame_seeds();
        let (n_stow, n_multipart) = (stow.len(), multipart.len());
        if which < n_stow {
            fuzzing::stow_reply(&mutate(stow[which].1.clone(), flips, cut, truncate));
        } else if which < n_stow + n_multipart {
            let seed = multipart[which - n_stow].1.clone();
            fuzzing::wado_multipart(&mutate(seed, flips, cut, truncate));
        } else {
            let seed = frames[(which - n_stow - n_multipart) % frames.len()].1.clone();
            fuzzing::dicom_frame(&mutate(seed, flips, cut, truncate));
        }
    }
}

/// Writes the fuzz seeds:
/// `cargo test -p wardcam-core --lib delivery::reply::tests::write_fuzz_corpus -- --ignored`.
#[test]
#[ignore = "writes fuzz/corpus/{stow_reply,wado_multipart,dicom_frame}"]
fn write_fuzz_corpus() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    for (target, seeds) in [
        ("stow_reply", stow_seeds()),
        ("wado_multipart", multipart_seeds()),
        ("dicom_frame", frame_seeds()),
    ] {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, seed) in seeds {
            std::fs::write(dir.join(name), seed).unwrap();
        }
    }
}
