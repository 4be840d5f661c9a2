#!/usr/bin/env node
// Self-test of the Orthanc test server: starts it with --faults, then checks the ready line, the
// endpoint files, QIDO-RS, basic auth, a STOW-RS of a hand-made DICOM file, WADO-RS read-back of the
// instance and its frame, the request log, every fault mode and the shutdown, with Node's own
// https/tls clients trusting CA1 only. Exits 1 if any check fails.
//
//   node tests/servers/orthanc/selftest.mjs
//
// Node's clients are not the pinned Rust client: they verify chain, dates and host name like it,
// and the pin checks here compare SPKI hashes by hand.

import { X509Certificate, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { assert, failure, handshake, request, runSelftest, sleep, spkiPin, startServer, stopByClosingStdin } from '../selftest-kit.mjs';
import { makeSecondaryCapture } from './dicom.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const QUIET_MS = 1500; // how long the stalled listener must stay silent
const UPLOAD = 200 * 1024; // body size for the mid-upload faults

const MODES = [
  'unpinned', 'other_ca', 'expired', 'wrong_host', 'tls11', 'redirect', 'status500', 'status503',
  'stall_mid_body', 'reset_mid_upload', 'refused', 'readback_differs',
];
const DICOM_MULTIPART = 'multipart/related; type="application/dicom"';

// ---------------------------------------------------------------------------------------------
// Small assertion and client helpers

/** The parts of a multipart body: [{headers (raw text), body (Buffer)}]. */
function multipartParts(body, contentType) {
  const m = /boundary="?([^";]+)"?/i.exec(contentType ?? '');
  assert(m, `no boundary in ${contentType}`);
  const delimiter = Buffer.from(`--${m[1]}`, 'latin1');
  const parts = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString('latin1') === '--') break; // close delimiter
    const next = body.indexOf(Buffer.from(`\r\n--${m[1]}`, 'latin1'), start);
    assert(next >= 0, 'unterminated multipart part');
    const part = body.subarray(start + 2, next); // after the CRLF ending the delimiter line
    const split = part.indexOf('\r\n\r\n');
    parts.push({ headers: part.subarray(0, split).toString('latin1'), body: part.subarray(split + 4) });
    at = next + 2;
  }
  return parts;
}

/** The one part of a multipart answer. */
function onlyPart(reply) {
  assert(reply.status === 200, `HTTP ${reply.status}: ${reply.text.slice(0, 200)}`);
  const parts = multipartParts(reply.body, reply.headers['content-type']);
  assert(parts.length === 1, `${parts.length} parts`);
  return parts[0].body;
}

function differingBytes(a, b) {
  assert(a.length === b.length, `lengths differ: ${a.length} vs ${b.length}`);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/** A STOW-RS body carrying one DICOM file. */
function stowBody(dicom) {
  const boundary = `wardcam-${randomBytes(8).toString('hex')}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`, 'latin1'),
    dicom,
    Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'),
  ]);
  return { body, contentType: `${DICOM_MULTIPART}; boundary=${boundary}` };
}

// ---------------------------------------------------------------------------------------------
// Server start

function start() {
  return startServer(join(HERE, 'server.mjs'), ['--faults', '--exit-with-stdin']);
}

// ---------------------------------------------------------------------------------------------
// Checks: each returns an optional detail string or throws.

function checks(ready) {
  const caPem = readFileSync(ready.ca, 'utf8');
  const trustCa1 = { ca: caPem };
  const fault = (mode) => ready.faults[mode];
  const endpointOf = (path) => JSON.parse(readFileSync(path, 'utf8'));
  const logLines = () =>
    readFileSync(ready.log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const { username, password } = endpointOf(ready.endpoint).credential;
  const auth = { Authorization: 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64') };

  const dicom = makeSecondaryCapture();
  const instancePath =
    `/studies/${dicom.studyUid}/series/${dicom.seriesUid}/instances/${dicom.sopInstanceUid}`;
  const wado = (base, path = instancePath, headers = {}) =>
    request(base + path, { headers: { ...auth, Accept: DICOM_MULTIPART, ...headers }, tls: trustCa1 });
  const stow = (base, file) => {
    const { body, contentType } = stowBody(file);
    return request(base + '/studies', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': contentType, Accept: 'application/dicom+json' },
      body,
      tls: trustCa1,
    });
  };
  /** A POST of UPLOAD bytes (not DICOM: these modes never forward it). */
  const bigPost = (base, extra = {}) =>
    request(base + '/studies', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': `${DICOM_MULTIPART}; boundary=x`, 'Content-Length': UPLOAD },
      body: randomBytes(UPLOAD),
      tls: trustCa1,
      ...extra,
    });
  const studies = async (base) => {
    const reply = await request(base + '/studies', { headers: { ...auth, Accept: 'application/dicom+json' }, tls: trustCa1 });
    assert(reply.status === 200, `GET studies: HTTP ${reply.status}`);
    const list = JSON.parse(reply.text);
    assert(Array.isArray(list), 'GET studies: not a JSON array');
    return list;
  };

  // Run one after the other: the later ones read what the earlier ones stored.
  const main = {
    'ready line': async () => {
      assert(ready.ready === true && /^https:\/\/127\.0\.0\.1:\d+\/dicom-web$/.test(ready.base), `base ${ready.base}`);
      assert(/^http:\/\/127\.0\.0\.1:\d+$/.test(ready.orthanc), `orthanc ${ready.orthanc}`);
      assert(ready.username === 'wardcam' && ready.password.length >= 20, 'credential');
      assert(existsSync(ready.ca) && /-----BEGIN CERTIFICATE-----/.test(caPem), 'ca is not a PEM file');
      assert(Array.isArray(ready.pins) && ready.pins.length === 2, 'pins must have 2 entries');
      assert(ready.pins.every((p) => /^[A-Za-z0-9+/]{43}=$/.test(p)), 'pins must be base64 SHA-256');
      assert(ready.pins[0] !== ready.pins[1], 'backup pin equals the primary pin');
      assert(existsSync(ready.log), 'log file missing');
      assert(JSON.stringify(Object.keys(ready.faults)) === JSON.stringify(MODES), `fault modes: ${Object.keys(ready.faults)}`);
    },
    'endpoint files (EndpointConfig, basic credential)': async () => {
      const want = '["base_url","trust_anchors_pem","spki_pins_sha256","credential"]';
      const all = [['main', ready.base, ready.endpoint], ...MODES.map((m) => [m, fault(m).base, fault(m).endpoint])];
      for (const [mode, base, path] of all) {
        const e = endpointOf(path);
        assert(JSON.stringify(Object.keys(e)) === want, `${mode}: keys ${Object.keys(e)}`);
        assert(e.base_url === base, `${mode}: base_url`);
        assert(e.trust_anchors_pem === caPem, `${mode}: trust anchors`);
        assert(JSON.stringify(e.spki_pins_sha256) === JSON.stringify(ready.pins), `${mode}: pins`);
        const c = e.credential;
        assert(
          JSON.stringify(c) === JSON.stringify({ scheme: 'basic', username: ready.username, password: ready.password }),
          `${mode}: credential`,
        );
      }
      return `${all.length} files`;
    },
    'main serves K1 (pins[0])': async () => {
      const socket = await handshake(ready.base, trustCa1);
      const pin = spkiPin(new X509Certificate(socket.getPeerCertificate(true).raw));
      socket.end();
      assert(pin === ready.pins[0], `main SPKI ${pin} is not pins[0]`);
    },
    'QIDO GET studies with auth: 200, []': async () => {
      const list = await studies(ready.base);
      assert(list.length === 0, `${list.length} studies before any STOW`);
    },
    'without auth: 401': async () => {
      const reply = await request(ready.base + '/studies', { tls: trustCa1 });
      assert(reply.status === 401, `HTTP ${reply.status}`);
      const challenge = reply.headers['www-authenticate'] ?? '';
      assert(/^Basic/i.test(challenge), `WWW-Authenticate ${challenge}`);
      const wrong = await request(ready.base + '/studies', {
        headers: { Authorization: 'Basic ' + Buffer.from(`${username}:nope`).toString('base64') },
        tls: trustCa1,
      });
      assert(wrong.status === 401, `wrong password: HTTP ${wrong.status}`);
      return `WWW-Authenticate: ${challenge}; wrong password 401 too`;
    },
    'STOW-RS of a hand-made DICOM: 200, ReferencedSOPSequence': async () => {
      const reply = await stow(ready.base, dicom.bytes);
      assert(reply.status === 200, `HTTP ${reply.status}: ${reply.text.slice(0, 300)}`);
      const json = JSON.parse(reply.text);
      const referenced = json['00081199']?.Value ?? [];
      assert(referenced.length === 1, `ReferencedSOPSequence: ${JSON.stringify(json['00081199'])}`);
      assert(referenced[0]['00081155']?.Value?.[0] === dicom.sopInstanceUid, 'wrong ReferencedSOPInstanceUID');
      assert(referenced[0]['00081150']?.Value?.[0] === dicom.sopClassUid, 'wrong ReferencedSOPClassUID');
      assert(!(json['00081198']?.Value?.length > 0), `FailedSOPSequence: ${JSON.stringify(json['00081198'])}`);
      const retrieve = referenced[0]['00081190']?.Value?.[0];
      assert(retrieve === ready.base + instancePath, `RetrieveURL ${retrieve}`);
      return `${dicom.bytes.length}-byte file; RetrieveURL under base`;
    },
    'Orthanc REST (plain port) sees the instance; QIDO lists the study': async () => {
      const reply = await request(`${ready.orthanc}/instances?expand`, { headers: auth });
      assert(reply.status === 200, `HTTP ${reply.status}`);
      const instances = JSON.parse(reply.text);
      assert(instances.length === 1 && instances[0].MainDicomTags.SOPInstanceUID === dicom.sopInstanceUid, reply.text.slice(0, 200));
      const list = await studies(ready.base);
      assert(list.length === 1 && list[0]['0020000D']?.Value?.[0] === dicom.studyUid, 'study not listed');
    },
    'WADO-RS GET instance: 200, the same file (and pixel data)': async () => {
      const part = onlyPart(await wado(ready.base));
      assert(part.includes(dicom.pixels), 'pixel data not in the answer');
      assert(part.equals(dicom.bytes), 'the file read back is not byte-identical');
      return 'byte-identical';
    },
    'WADO-RS GET frame 1: the pixel data': async () => {
      const part = onlyPart(await wado(ready.base, instancePath + '/frames/1', { Accept: 'multipart/related; type="application/octet-stream"' }));
      assert(part.equals(dicom.pixels), `frame is ${part.length} bytes, not the 64 pixels`);
    },
    'log: STOW-RS logged with its content type': async () => {
      const posts = logLines().filter((l) => l.mode === 'main' && l.method === 'POST');
      assert(
        posts.some((l) => l.url === '/dicom-web/studies' && l.content_type.startsWith(DICOM_MULTIPART)),
        `no STOW logged: ${JSON.stringify(posts)}`,
      );
    },
  };

  // Independent of each other: run together, so the waits overlap.
  const faults = {
    unpinned: async () => {
      const socket = await handshake(fault('unpinned').base, trustCa1);
      const pin = spkiPin(new X509Certificate(socket.getPeerCertificate(true).raw));
      socket.end();
      assert(!ready.pins.includes(pin), 'its key is pinned');
      await studies(fault('unpinned').base);
      return 'handshake OK under CA1, SPKI not in pins; proxies to Orthanc';
    },
    other_ca: async () => {
      const code = await failure(handshake(fault('other_ca').base, trustCa1));
      assert(code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', code);
      return code;
    },
    expired: async () => {
      const code = await failure(handshake(fault('expired').base, trustCa1));
      assert(code === 'CERT_HAS_EXPIRED', code);
      return code;
    },
    wrong_host: async () => {
      const code = await failure(handshake(fault('wrong_host').base, trustCa1));
      assert(code === 'ERR_TLS_CERT_ALTNAME_INVALID', code);
      return code;
    },
    tls11: async () => {
      const base = fault('tls11').base;
      const code12 = await failure(handshake(base, { ...trustCa1, minVersion: 'TLSv1.2' }));
      const tls11 = { ...trustCa1, minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' };
      const socket = await handshake(base, tls11);
      const protocol = socket.getProtocol();
      socket.end();
      assert(protocol === 'TLSv1.1', `negotiated ${protocol}`);
      return `TLS 1.2+ refused (${code12}), TLS 1.1 accepted`;
    },
    redirect: async () => {
      const reply = await request(fault('redirect').base + '/studies', { headers: auth, tls: trustCa1 });
      assert(reply.status === 302, `HTTP ${reply.status}`);
      assert(reply.headers.location === ready.base + '/studies', `Location ${reply.headers.location}`);
      return `302 -> ${reply.headers.location}`;
    },
    status500: async () => {
      const { body, contentType } = stowBody(makeSecondaryCapture().bytes);
      const reply = await request(fault('status500').base + '/studies', {
        method: 'POST', headers: { ...auth, 'Content-Type': contentType }, body, tls: trustCa1,
      });
      assert(reply.status === 500, `HTTP ${reply.status}`);
    },
    status503: async () => {
      const reply = await request(fault('status503').base + '/studies', { headers: auth, tls: trustCa1 });
      assert(reply.status === 503 && reply.headers['retry-after'] === '120', `HTTP ${reply.status}, Retry-After ${reply.headers['retry-after']}`);
    },
    stall_mid_body: async () => {
      let outcome = 'silent';
      const pending = bigPost(fault('stall_mid_body').base).then(
        (r) => (outcome = `HTTP ${r.status}`),
        (e) => (outcome = `error ${e.code}`),
      );
      void pending;
      await sleep(QUIET_MS);
      assert(outcome === 'silent', outcome);
      assert(logLines().some((l) => l.mode === 'stall_mid_body' && l.method === 'POST'), 'request not in the log');
      return `request logged, no answer within ${QUIET_MS} ms`;
    },
    reset_mid_upload: async () => {
      const code = await failure(bigPost(fault('reset_mid_upload').base));
      assert(code === 'ECONNRESET' || code === 'EPIPE', code);
      return `${UPLOAD / 1024} KiB body: ${code}`;
    },
    refused: async () => {
      const code = await failure(request(fault('refused').base + '/studies', { headers: auth, tls: trustCa1 }));
      assert(code === 'ECONNREFUSED', code);
      return code;
    },
    readback_differs: async () => {
      const base = fault('readback_differs').base;
      // STOW-RS goes through unchanged.
      const other = makeSecondaryCapture();
      const stored = await stow(base, other.bytes);
      assert(stored.status === 200 && JSON.parse(stored.text)['00081199']?.Value?.length === 1, `STOW: HTTP ${stored.status}`);
      // The instance stored through the main listener, read back here: one byte differs, even
      // when the client accepts gzip (the front asks Orthanc for identity).
      const part = onlyPart(await wado(base, instancePath, { 'Accept-Encoding': 'gzip' }));
      const n = differingBytes(part, dicom.bytes);
      assert(n === 1, `${n} bytes differ`);
      const frame = onlyPart(await wado(base, instancePath + '/frames/1', { Accept: 'multipart/related; type="application/octet-stream"' }));
      assert(differingBytes(frame, dicom.pixels) === 1, 'frame: not exactly one byte differs');
      // Other reads are untouched.
      const list = await studies(base);
      assert(list.length >= 1, 'QIDO through readback_differs');
      return 'STOW OK; instance and frame read back with 1 byte flipped; QIDO untouched';
    },
  };
  return { main, faults };
}

// ---------------------------------------------------------------------------------------------

/** Closing stdin must stop the server and Orthanc quickly even with a stalled socket open, and clean up. */
async function checkShutdown(server, ready) {
  const ms = await stopByClosingStdin(server, ready, 3000);
  const orthanc = await failure(request(`${ready.orthanc}/system`));
  assert(orthanc === 'ECONNREFUSED', `Orthanc still there: ${orthanc}`);
  return `exit 0 in ${ms} ms, temp dir removed, Orthanc gone`;
}

runSelftest({ start, checks, shutdown: checkShutdown });
