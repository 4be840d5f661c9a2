#!/usr/bin/env node
// Self-test of the FHIR test server: starts it with --faults and the seed patients, then checks the
// ready line, the endpoint files, PDQm search by GET and by POST, the request log, transaction
// Bundles (photo-sized, idempotent, all or nothing), the body limit and every fault mode, with
// Node's own https/tls/net clients trusting CA1 only. Exits 1 if any check fails.
//
//   node tests/servers/fhir/selftest.mjs
//
// Node's clients are not the pinned Rust client: they verify chain, dates and host name like it,
// and the pin checks here compare SPKI hashes by hand.

import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { dirname, join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';

import { assert, failure, handshake, peerCert, portOf, request, runSelftest, sleep, spkiPin, startServer, stopByClosingStdin } from '../selftest-kit.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const NHS_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
const NHS_NUMBER = '9434765919'; // Smith, John Paul in seed-patients.json
const QUIET_MS = 1000; // how long a stalled listener must stay silent
const DAY = 24 * 3600 * 1000;

const MODES = [
  'unpinned', 'other_ca', 'expired', 'expiring', 'wrong_host', 'tls11', 'redirect', 'status500',
  'status503', 'status429', 'malformed', 'stall_before_handshake', 'stall_after_handshake', 'reset',
  'mtls', 'mtls_missing', 'auth', 'auth_missing',
];

// ---------------------------------------------------------------------------------------------
// Small assertion and client helpers

function bundleOf(reply) {
  assert(reply.status === 200, `HTTP ${reply.status}: ${reply.text.slice(0, 200)}`);
  const bundle = JSON.parse(reply.text);
  assert(bundle.resourceType === 'Bundle' && bundle.type === 'searchset', `not a searchset: ${reply.text.slice(0, 200)}`);
  return bundle;
}

function patientsIn(bundle) {
  return (bundle.entry ?? []).map((e) => e.resource).filter((r) => r?.resourceType === 'Patient');
}

function assertOnePatient(bundle, nhsNumber = NHS_NUMBER) {
  const patients = patientsIn(bundle);
  assert(patients.length === 1, `expected 1 Patient, got ${patients.length}`);
  const ids = patients[0].identifier ?? [];
  assert(ids.some((i) => i.system === NHS_SYSTEM && i.value === nhsNumber), 'wrong patient returned');
}

const searchPath = `/Patient?identifier=${encodeURIComponent(`${NHS_SYSTEM}|${NHS_NUMBER}`)}`;

// ---------------------------------------------------------------------------------------------
// Transaction Bundles shaped like WardCam's (crates/core/src/delivery/fhir): a Consent, and per
// photo a Binary (PUT with a client id), a DocumentReference and a Provenance (conditional creates).

/** A UUID made from `text`, so each check's identifiers are its own. */
function uuidOf(text) {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A photo of `size` bytes: its Binary id, DocumentReference identifier and base64 data. */
function photo(size, seed) {
  const bytes = Buffer.alloc(size, seed);
  return {
    binaryId: uuidOf(`binary ${seed}`),
    docId: `urn:uuid:${uuidOf(`doc ${seed}`)}`,
    docUrl: `urn:uuid:${uuidOf(`doc entry ${seed}`)}`,
    data: bytes.toString('base64'),
    size,
    sha1: createHash('sha1').update(bytes).digest('base64'),
  };
}

function transaction(tag, photos) {
  const patient = { identifier: { system: NHS_SYSTEM, value: NHS_NUMBER } };
  const consentIdentifier = `urn:uuid:${uuidOf(`consent ${tag}`)}`;
  const consentUrl = `urn:uuid:${uuidOf(`consent entry ${tag}`)}`;
  const entry = [
    {
      fullUrl: consentUrl,
      resource: {
        resourceType: 'Consent',
        identifier: [{ system: 'urn:ietf:rfc:3986', value: consentIdentifier }],
        status: 'active',
        scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
        category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
        patient,
        policy: [{ uri: 'urn:wardcam:consent-text:selftest' }],
      },
      request: { method: 'POST', url: 'Consent', ifNoneExist: `identifier=urn:ietf:rfc:3986|${consentIdentifier}` },
    },
  ];
  for (const p of photos) {
    entry.push(
      {
        resource: { resourceType: 'Binary', id: p.binaryId, contentType: 'image/jpeg', securityContext: { reference: p.docUrl }, data: p.data },
        request: { method: 'PUT', url: `Binary/${p.binaryId}` },
      },
      {
        fullUrl: p.docUrl,
        resource: {
          resourceType: 'DocumentReference',
          identifier: [{ system: 'urn:ietf:rfc:3986', value: p.docId }],
          status: 'current',
          subject: patient,
          content: [{ attachment: { contentType: 'image/jpeg', url: `Binary/${p.binaryId}`, size: p.size, hash: p.sha1 } }],
          context: { related: [{ reference: consentUrl }] },
        },
        request: { method: 'POST', url: 'DocumentReference', ifNoneExist: `identifier=urn:ietf:rfc:3986|${p.docId}` },
      },
      {
        resource: { resourceType: 'Provenance', target: [{ reference: p.docUrl }], recorded: '2026-11-30T10:00:00Z', agent: [{ who: { display: 'WardCam self-test' } }] },
        request: { method: 'POST', url: 'Provenance', ifNoneExist: `target=${p.docUrl}` },
      },
    );
  }
  const bundle = { resourceType: 'Bundle', type: 'transaction', entry };
  // Not part of the Bundle: for the checks' searches.
  Object.defineProperty(bundle, 'consentIdentifier', { value: consentIdentifier, enumerable: false });
  return bundle;
}

// Sockets the stall checks leave open on purpose, to prove the server still exits promptly.
const lingering = [];

// ---------------------------------------------------------------------------------------------
// Server start

function start() {
  return startServer(join(HERE, 'server.mjs'), ['--faults', '--seed', join(HERE, 'seed-patients.json'), '--exit-with-stdin']);
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
  const formSearch = (base, tls = trustCa1) =>
    request(base + '/Patient/_search', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `identifier=${encodeURIComponent(`${NHS_SYSTEM}|${NHS_NUMBER}`)}`,
      tls,
    });

  // Run one after the other: the log check reads what the searches before it sent.
  const main = {
    'ready line': async () => {
      assert(ready.ready === true && ready.base === `https://127.0.0.1:${ready.port}/fhir/R4`, 'base/port');
      assert(ready.cert === ready.ca && existsSync(ready.ca), 'cert and ca must be the same existing file');
      assert(/-----BEGIN CERTIFICATE-----/.test(caPem), 'ca is not a PEM certificate');
      assert(Array.isArray(ready.pins) && ready.pins.length === 2, 'pins must have 2 entries');
      assert(ready.pins.every((p) => /^[A-Za-z0-9+/]{43}=$/.test(p)), 'pins must be base64 SHA-256');
      assert(ready.pins[0] !== ready.pins[1], 'backup pin equals the primary pin');
      assert(existsSync(ready.log), 'log file missing');
      assert(JSON.stringify(Object.keys(ready.faults)) === JSON.stringify(MODES), `fault modes: ${Object.keys(ready.faults)}`);
    },
    'endpoint files': async () => {
      const main = endpointOf(ready.endpoint);
      assert(
        JSON.stringify(Object.keys(main)) === '["base_url","trust_anchors_pem","spki_pins_sha256"]',
        `main endpoint keys: ${Object.keys(main)}`,
      );
      for (const mode of MODES) {
        const e = endpointOf(fault(mode).endpoint);
        assert(e.base_url === fault(mode).base, `${mode}: base_url`);
        assert(e.trust_anchors_pem === caPem, `${mode}: trust anchors`);
        assert(JSON.stringify(e.spki_pins_sha256) === JSON.stringify(ready.pins), `${mode}: pins`);
        const extra = Object.keys(e).slice(3).join(',');
        const want = { mtls: 'client_certificate_pem,client_key_pem', auth: 'credential' }[mode] ?? '';
        assert(extra === want, `${mode}: extra keys "${extra}", want "${want}"`);
      }
      const mtls = endpointOf(fault('mtls').endpoint);
      assert(mtls.client_key_pem.startsWith('-----BEGIN PRIVATE KEY-----'), 'client key is not PKCS#8 PEM');
      assert(fault('mtls_missing').base === fault('mtls').base, 'mtls_missing base');
      assert(fault('auth_missing').base === fault('auth').base, 'auth_missing base');
      const cred = endpointOf(fault('auth').endpoint).credential;
      assert(cred.scheme === 'bearer' && cred.token.length >= 20, 'auth credential');
    },
    'main serves K1 (pins[0]), pin formula agrees with openssl': async () => {
      const socket = await handshake(ready.base, trustCa1);
      const raw = socket.getPeerCertificate(true).raw;
      socket.end();
      const pin = spkiPin(new X509Certificate(raw));
      assert(pin === ready.pins[0], `main SPKI ${pin} is not pins[0]`);
      // The pipeline from the brief, over the certificate's public key.
      const spki = execFileSync('openssl', ['x509', '-inform', 'DER', '-pubkey', '-noout'], { input: raw });
      const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: spki });
      const viaOpenssl = createHash('sha256').update(der).digest('base64');
      assert(viaOpenssl === pin, 'openssl and node disagree on the pin');
    },
    'POST _search (form) finds the patient': async () => {
      assertOnePatient(bundleOf(await formSearch(ready.base)));
    },
    'GET search finds the patient': async () => {
      assertOnePatient(bundleOf(await request(ready.base + searchPath, { tls: trustCa1 })));
    },
    'POST _search with a JSON body is 415': async () => {
      const reply = await request(ready.base + '/Patient/_search', {
        method: 'POST',
        headers: { 'Content-Type': 'application/fhir+json' },
        body: '{}',
        tls: trustCa1,
      });
      assert(reply.status === 415, `HTTP ${reply.status}`);
    },
    'log has the POST url without the number': async () => {
      const posts = logLines().filter((l) => l.mode === 'main' && l.method === 'POST');
      assert(
        posts.some((l) => l.url === '/fhir/R4/Patient/_search' && l.content_type === 'application/x-www-form-urlencoded'),
        `no form POST logged: ${JSON.stringify(posts)}`,
      );
      assert(posts.every((l) => !JSON.stringify(l).includes(NHS_NUMBER)), 'NHS number in a POST log line');
      const gets = logLines().filter((l) => l.mode === 'main' && l.method === 'GET');
      assert(gets.some((l) => l.url === `/fhir/R4${searchPath}`), 'GET url not logged as received');
    },
    'transaction: two 5 MB photos accepted; the same again creates nothing': async () => {
      const photos = [photo(5_000_000, 1), photo(5_000_000, 2)];
      const bundle = transaction('a1', photos);
      const text = JSON.stringify(bundle);
      assert(text.length > 13_000_000, `bundle only ${text.length} bytes`);
      const first = await postBundle(text);
      assert(first.status === 200, `first: HTTP ${first.status}: ${first.text.slice(0, 300)}`);
      const statuses = (r) => JSON.parse(r.text).entry.map((e) => e.response.status).join(',');
      // FhirRouter answers an update-as-create (the Binaries' PUT) 200, not 201.
      assert(statuses(first) === '201,200,201,201,200,201,201', `first: ${statuses(first)}`);
      const again = await postBundle(text);
      assert(again.status === 200, `again: HTTP ${again.status}`);
      // Consent, DocumentReferences and Provenances matched by their conditions; Binaries updated.
      assert(statuses(again) === '200,200,200,200,200,200,200', `again: ${statuses(again)}`);
      for (const p of photos) {
        assert((await total(`DocumentReference?identifier=${encodeURIComponent(`urn:ietf:rfc:3986|${p.docId}`)}`)) === 1, 'DocumentReference count');
        const read = await request(`${ready.base}/Binary/${p.binaryId}`, { tls: trustCa1 });
        assert(read.status === 200 && JSON.parse(read.text).data === p.data, 'Binary read back differs');
      }
      assert((await total(`Consent?identifier=${encodeURIComponent(`urn:ietf:rfc:3986|${bundle.consentIdentifier}`)}`)) === 1, 'Consent count');
      // FhirRouter's in-memory search does not match `_id` on Binary: these are the only ones.
      const counts = [await total('Binary'), await total('Provenance')];
      assert(counts.join() === '2,2', `${counts.join()} Binaries, Provenances`);
      return `${(text.length / 1e6).toFixed(1)} MB; created, then all 200; one of each`;
    },
    'transaction with an invalid resource: 400 naming its entry, nothing written': async () => {
      const p = photo(2_000_000, 3);
      const bundle = transaction('b2', [p]);
      bundle.entry[2].resource.content[0].attachment.hash = 'not base64!';
      const reply = await postBundle(JSON.stringify(bundle));
      assert(reply.status === 400, `HTTP ${reply.status}`);
      const oo = JSON.parse(reply.text);
      assert(oo.resourceType === 'OperationOutcome', 'not an OperationOutcome');
      const paths = oo.issue.flatMap((i) => i.expression ?? []);
      assert(paths.includes('Bundle.entry[2].resource.content[0].attachment.hash'), `expressions ${paths}`);
      assert((await total('Binary')) === 2, 'Binary written');
      assert((await total(`Consent?identifier=${encodeURIComponent(`urn:ietf:rfc:3986|${bundle.consentIdentifier}`)}`)) === 0, 'Consent written');
      return paths.join(', ');
    },
    'transaction failing while it runs: undone': async () => {
      const p = photo(1000, 4);
      const bundle = transaction('c3', [p]);
      // Valid resources, but the PUT's URL names another id than its resource: refused by the router
      // after the creates before it have run.
      bundle.entry[1].request.url = 'Binary/00000000-0000-4000-8000-000000000000';
      const reply = await postBundle(JSON.stringify(bundle));
      assert(reply.status === 400, `HTTP ${reply.status}: ${reply.text.slice(0, 200)}`);
      assert((await total(`Consent?identifier=${encodeURIComponent(`urn:ietf:rfc:3986|${bundle.consentIdentifier}`)}`)) === 0, 'Consent kept');
      assert((await total(`DocumentReference?identifier=${encodeURIComponent(`urn:ietf:rfc:3986|${p.docId}`)}`)) === 0, 'DocumentReference kept');
      assert((await total('Provenance')) === 2, 'Provenance kept');
    },
    'body over 64 MiB: 413': async () => {
      const reply = await postBundle(Buffer.alloc(64 * 1024 * 1024 + 1, 0x20));
      assert(reply.status === 413, `HTTP ${reply.status}`);
      assert(JSON.parse(reply.text).resourceType === 'OperationOutcome', 'not an OperationOutcome');
    },
  };

  const postBundle = (body) =>
    request(ready.base, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body, tls: trustCa1 });
  const total = async (query) => {
    const sep = query.includes('?') ? '&' : '?';
    const reply = await request(`${ready.base}/${query}${sep}_count=0`, { tls: trustCa1 });
    assert(reply.status === 200, `search ${query}: HTTP ${reply.status}`);
    return JSON.parse(reply.text).total;
  };

  // Independent of each other: run together, so the 1 s silences overlap.
  const faults = {
    unpinned: async () => {
      const socket = await handshake(fault('unpinned').base, trustCa1);
      const pin = spkiPin(new X509Certificate(socket.getPeerCertificate(true).raw));
      socket.end();
      assert(!ready.pins.includes(pin), 'its key is pinned');
      assertOnePatient(bundleOf(await request(fault('unpinned').base + searchPath, { tls: trustCa1 })));
      return 'handshake OK under CA1, SPKI not in pins';
    },
    other_ca: async () => {
      const code = await failure(handshake(fault('other_ca').base, trustCa1));
      assert(code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', code);
      // Same repository as the main server when the client does not check the chain.
      assertOnePatient(bundleOf(await formSearch(fault('other_ca').base, { rejectUnauthorized: false })));
      return code;
    },
    expired: async () => {
      const code = await failure(handshake(fault('expired').base, trustCa1));
      assert(code === 'CERT_HAS_EXPIRED', code);
      const cert = await peerCert(fault('expired').base);
      assert(spkiPin(cert) === ready.pins[0], 'expired cert is not on K1');
      return `${code}, notAfter ${cert.validTo}`;
    },
    expiring: async () => {
      const socket = await handshake(fault('expiring').base, trustCa1);
      const cert = new X509Certificate(socket.getPeerCertificate(true).raw);
      socket.end();
      const left = Date.parse(cert.validTo) - Date.now();
      assert(left > 0 && left < 30 * DAY, `notAfter ${cert.validTo}`);
      assert(spkiPin(cert) === ready.pins[0], 'expiring cert is not on K1');
      assertOnePatient(bundleOf(await request(fault('expiring').base + searchPath, { tls: trustCa1 })));
      return `notAfter ${cert.validTo} (${(left / DAY).toFixed(1)} days)`;
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
      const sClient = spawnSync(
        'openssl',
        ['s_client', '-connect', `127.0.0.1:${portOf(base)}`, '-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0', '-brief'],
        { input: '', encoding: 'utf8', timeout: 5000 },
      );
      // -brief reports the negotiated protocol on stderr.
      assert(/Protocol version: TLSv1\.1/.test(sClient.stderr), `s_client: ${sClient.stderr}`);
      return `TLS1.2+ refused (${code12}), TLS1.1 accepted by node and openssl s_client`;
    },
    redirect: async () => {
      const reply = await request(fault('redirect').base + searchPath, { tls: trustCa1 });
      assert(reply.status === 302, `HTTP ${reply.status}`);
      assert(reply.headers.location === ready.base + searchPath, `Location ${reply.headers.location}`);
      return `302 -> ${reply.headers.location}`;
    },
    status500: async () => {
      const reply = await request(fault('status500').base + searchPath, { tls: trustCa1 });
      assert(reply.status === 500, `HTTP ${reply.status}`);
      assert(JSON.parse(reply.text).resourceType === 'OperationOutcome', 'body is not an OperationOutcome');
    },
    status503: async () => {
      const reply = await request(fault('status503').base + searchPath, { tls: trustCa1 });
      assert(reply.status === 503 && reply.headers['retry-after'] === '120', `HTTP ${reply.status}, Retry-After ${reply.headers['retry-after']}`);
    },
    status429: async () => {
      const reply = await formSearch(fault('status429').base);
      assert(reply.status === 429 && reply.headers['retry-after'] === '30', `HTTP ${reply.status}, Retry-After ${reply.headers['retry-after']}`);
    },
    malformed: async () => {
      const reply = await request(fault('malformed').base + searchPath, { tls: trustCa1 });
      assert(reply.status === 200, `HTTP ${reply.status}`);
      assert(reply.headers['content-type'].startsWith('application/fhir+json'), reply.headers['content-type']);
      let parsed = true;
      try {
        JSON.parse(reply.text);
      } catch {
        parsed = false;
      }
      assert(!parsed, 'body parsed as JSON');
    },
    stall_before_handshake: async () => {
      const base = fault('stall_before_handshake').base;
      // Raw TCP: a ClientHello-sized write gets no byte back and no close.
      const raw = netConnect(portOf(base), '127.0.0.1');
      lingering.push(raw);
      const events = [];
      raw.on('data', () => events.push('data'));
      raw.on('close', () => events.push('close'));
      raw.on('error', (e) => events.push(e.code));
      raw.write(Buffer.alloc(300, 0x16));
      // And a real TLS client never completes its handshake.
      const socket = tlsConnect({ host: '127.0.0.1', port: portOf(base), ...trustCa1 });
      lingering.push(socket);
      socket.on('secureConnect', () => events.push('secureConnect'));
      socket.on('error', (e) => events.push(`tls ${e.code}`));
      await sleep(QUIET_MS);
      assert(events.length === 0, `got ${events.join(', ')}`);
      return `silent for ${QUIET_MS} ms`;
    },
    stall_after_handshake: async () => {
      const base = fault('stall_after_handshake').base;
      let outcome = 'silent';
      const req = httpsRequest(new URL(base + searchPath), { agent: false, ...trustCa1 }, () => (outcome = 'reply'));
      req.on('error', (e) => (outcome = `error ${e.code}`));
      req.end();
      req.on('socket', (s) => lingering.push(s));
      await sleep(QUIET_MS);
      assert(outcome === 'silent', outcome);
      const logged = logLines().some((l) => l.mode === 'stall_after_handshake' && l.url === `/fhir/R4${searchPath}`);
      assert(logged, 'request not in the log');
      return `request logged, no reply within ${QUIET_MS} ms`;
    },
    reset: async () => {
      const code = await failure(request(fault('reset').base + searchPath, { tls: trustCa1 }));
      assert(code === 'ECONNRESET', code);
      return code;
    },
    mtls: async () => {
      const base = fault('mtls').base;
      const withoutCert = await failure(request(base + searchPath, { tls: trustCa1 }));
      const e = endpointOf(fault('mtls').endpoint);
      const tls = { ...trustCa1, cert: e.client_certificate_pem, key: e.client_key_pem };
      assertOnePatient(bundleOf(await request(base + searchPath, { tls })));
      return `without client cert: ${withoutCert}; with it: 200`;
    },
    auth: async () => {
      const base = fault('auth').base;
      const refused = await request(base + searchPath, { tls: trustCa1 });
      assert(refused.status === 401, `no token: HTTP ${refused.status}`);
      assert(refused.headers['www-authenticate'] === 'Bearer', `WWW-Authenticate ${refused.headers['www-authenticate']}`);
      const wrong = await request(base + searchPath, { tls: trustCa1, headers: { Authorization: 'Bearer nope' } });
      assert(wrong.status === 401, `wrong token: HTTP ${wrong.status}`);
      const { token } = endpointOf(fault('auth').endpoint).credential;
      const formNoToken = await formSearch(base, trustCa1);
      assert(formNoToken.status === 401, 'form search without token was not refused');
      const reply = await request(base + searchPath, { tls: trustCa1, headers: { Authorization: `Bearer ${token}` } });
      assertOnePatient(bundleOf(reply));
      return '401 without/with wrong token, 200 with the endpoint token';
    },
  };
  return { main, faults };
}

/** Closing stdin must stop the server quickly even with stalled sockets open, and clean up. */
async function checkShutdown(server, ready) {
  const ms = await stopByClosingStdin(server, ready, 2000);
  return `exit 0 in ${ms} ms, temp dir removed`;
}

runSelftest({
  start,
  checks,
  shutdown: checkShutdown,
  cleanup: () => {
    for (const socket of lingering) socket.destroy();
  },
});
