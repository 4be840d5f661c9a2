#!/usr/bin/env node
// A tiny but valid DICOM Part 10 file, written byte by byte (no DICOM library needed): a Secondary
// Capture image (SOP Class 1.2.840.10008.5.1.4.1.1.7), Explicit VR Little Endian, 8×8 pixels,
// 8 bits, MONOCHROME2, with fresh 2.25.<uuid> UIDs on every call.
//
//   import { makeSecondaryCapture } from './dicom.mjs';
//   const { bytes, pixels, studyUid, seriesUid, sopInstanceUid } = makeSecondaryCapture();
//
//   node tests/servers/orthanc/dicom.mjs OUT.dcm   # writes one and prints its UIDs as JSON
//
// Layout (PS3.10 §7.1): 128-byte zero preamble, "DICM", the File Meta Information group (0002,xxxx)
// in Explicit VR Little Endian with its group length first, then the data set in ascending tag order.

import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

export const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
// A UID of our own under 2.25 (a UUID as a decimal integer), fixed so every file names the same maker.
const IMPLEMENTATION_CLASS_UID = '2.25.258474312734166498120383919553315738271';

// VRs whose length is 4 bytes after 2 reserved bytes (PS3.5 §7.1.2); all others have a 2-byte length.
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/** A UID under the 2.25 root: a random UUID read as one decimal number (PS3.5 §B.2). */
export function newUid() {
  return '2.25.' + BigInt('0x' + randomUUID().replaceAll('-', '')).toString(10);
}

/** The value bytes, padded to even length: UI with NUL, other strings with a space. */
function valueBytes(vr, value) {
  if (Buffer.isBuffer(value)) {
    return value.length % 2 ? Buffer.concat([value, Buffer.from([0])]) : value;
  }
  if (vr === 'US') {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(value);
    return b;
  }
  if (vr === 'UL') {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    return b;
  }
  const text = Buffer.from(String(value), 'latin1');
  return text.length % 2 ? Buffer.concat([text, Buffer.from(vr === 'UI' ? [0] : [0x20])]) : text;
}

/** One Explicit VR Little Endian data element. */
function element(group, elem, vr, value) {
  const data = valueBytes(vr, value);
  const long = LONG_VRS.has(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(elem, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(data.length, 8);
  else head.writeUInt16LE(data.length, 6);
  return Buffer.concat([head, data]);
}

/** YYYYMMDD and HHMMSS of now, UTC. */
function dateTime() {
  const iso = new Date().toISOString();
  return { date: iso.slice(0, 10).replaceAll('-', ''), time: iso.slice(11, 19).replaceAll(':', '') };
}

/**
 * A Secondary Capture instance. Options: patientId, patientName, accession, pixels (a 64-byte
 * Buffer; default: random bytes, so two files never share pixel data).
 * Returns { bytes, pixels, studyUid, seriesUid, sopInstanceUid, sopClassUid }.
 */
export function makeSecondaryCapture({
  patientId = 'WARDCAM-TEST-1',
  patientName = 'TEST^WARDCAM',
  accession = '',
  pixels = randomBytes(64),
} = {}) {
  if (pixels.length !== 64) throw new Error('pixels must be 64 bytes (8×8, 8-bit)');
  const studyUid = newUid();
  const seriesUid = newUid();
  const sopInstanceUid = newUid();
  const { date, time } = dateTime();

  const metaElements = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0x00, 0x01])), // File Meta Information Version
    element(0x0002, 0x0002, 'UI', SECONDARY_CAPTURE), // Media Storage SOP Class UID
    element(0x0002, 0x0003, 'UI', sopInstanceUid), // Media Storage SOP Instance UID
    element(0x0002, 0x0010, 'UI', EXPLICIT_VR_LITTLE_ENDIAN), // Transfer Syntax UID
    element(0x0002, 0x0012, 'UI', IMPLEMENTATION_CLASS_UID), // Implementation Class UID
    element(0x0002, 0x0013, 'SH', 'WARDCAM_TEST'), // Implementation Version Name
  ]);
  const meta = Buffer.concat([element(0x0002, 0x0000, 'UL', metaElements.length), metaElements]);

  // Ascending tag order, as PS3.5 §7.1 requires. Type 2 attributes may be empty.
  const dataset = Buffer.concat([
    element(0x0008, 0x0016, 'UI', SECONDARY_CAPTURE), // SOP Class UID
    element(0x0008, 0x0018, 'UI', sopInstanceUid), // SOP Instance UID
    element(0x0008, 0x0020, 'DA', date), // Study Date
    element(0x0008, 0x0030, 'TM', time), // Study Time
    element(0x0008, 0x0050, 'SH', accession), // Accession Number
    element(0x0008, 0x0060, 'CS', 'OT'), // Modality
    element(0x0008, 0x0064, 'CS', 'WSD'), // Conversion Type: workstation
    element(0x0008, 0x0090, 'PN', ''), // Referring Physician's Name
    element(0x0010, 0x0010, 'PN', patientName), // Patient's Name
    element(0x0010, 0x0020, 'LO', patientId), // Patient ID
    element(0x0010, 0x0030, 'DA', ''), // Patient's Birth Date
    element(0x0010, 0x0040, 'CS', ''), // Patient's Sex
    element(0x0020, 0x000d, 'UI', studyUid), // Study Instance UID
    element(0x0020, 0x000e, 'UI', seriesUid), // Series Instance UID
    element(0x0020, 0x0010, 'SH', '1'), // Study ID
    element(0x0020, 0x0011, 'IS', '1'), // Series Number
    element(0x0020, 0x0013, 'IS', '1'), // Instance Number
    element(0x0020, 0x0020, 'CS', ''), // Patient Orientation
    element(0x0028, 0x0002, 'US', 1), // Samples per Pixel
    element(0x0028, 0x0004, 'CS', 'MONOCHROME2'), // Photometric Interpretation
    element(0x0028, 0x0010, 'US', 8), // Rows
    element(0x0028, 0x0011, 'US', 8), // Columns
    element(0x0028, 0x0100, 'US', 8), // Bits Allocated
    element(0x0028, 0x0101, 'US', 8), // Bits Stored
    element(0x0028, 0x0102, 'US', 7), // High Bit
    element(0x0028, 0x0103, 'US', 0), // Pixel Representation: unsigned
    element(0x7fe0, 0x0010, 'OB', pixels), // Pixel Data
  ]);

  const bytes = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), meta, dataset]);
  return { bytes, pixels, studyUid, seriesUid, sopInstanceUid, sopClassUid: SECONDARY_CAPTURE };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node tests/servers/orthanc/dicom.mjs OUT.dcm');
    process.exit(2);
  }
  const { bytes, pixels, ...uids } = makeSecondaryCapture();
  writeFileSync(out, bytes);
  process.stdout.write(JSON.stringify({ file: out, size: bytes.length, ...uids }) + '\n');
}
