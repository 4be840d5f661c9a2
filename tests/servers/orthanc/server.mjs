#!/usr/bin/env node
// A real PACS for WardCam's delivery tests: Orthanc (Debian packages `orthanc` and
// `orthanc-dicomweb`) with its DICOMweb plugin, reachable only through a Node TLS front on
// 127.0.0.1 that presents the FHIR test server's kind of certificates (../fhir/pki.mjs: a test CA
// made at every start, SPKI pins) and forwards to Orthanc's plain HTTP port. Orthanc itself wants
// HTTP basic auth. With --faults, one more front per TLS/HTTP fault a pinned client must survive.
//
//   node tests/servers/orthanc/server.mjs [--faults] [--port N] [--exit-with-stdin]
//
// When ready it prints ONE JSON line on stdout and nothing else ever goes there:
//   {"ready":true,"base":"https://127.0.0.1:P/dicom-web","orthanc":"http://127.0.0.1:Q",
//    "username":"wardcam","password":"…","ca":"/tmp/wardcam-orthanc-XXXX/ca1.pem",
//    "pins":["<K1 pin>","<K2 pin>"],"endpoint":"/tmp/wardcam-orthanc-XXXX/endpoint.json",
//    "log":"/tmp/wardcam-orthanc-XXXX/requests.jsonl","faults":{...only with --faults...}}
// (one line in reality). `base` is the DICOMweb root behind TLS (STOW-RS is `POST {base}/studies`).
// `orthanc` is Orthanc's own plain HTTP port, for a test to inspect what arrived through Orthanc's
// REST API (same basic credential); clients under test never use it. `endpoint` is the Rust core's
// EndpointConfig:
//   {"base_url":"https://127.0.0.1:P/dicom-web","trust_anchors_pem":"<CA1 PEM>",
//    "spki_pins_sha256":["<K1 pin>","<K2 pin>"],
//    "credential":{"scheme":"basic","username":"wardcam","password":"…"}}
//
// --faults adds "faults": {"<mode>": {"base": "https://127.0.0.1:P/dicom-web", "endpoint": "<file>"}}
// (see faults.mjs and README.md).
//
// `log`: every request that gets past TLS on any front is appended, before it is forwarded or
// answered, as one line {"mode":"main"|"<fault mode>","method":…,"url":<as received>,
// "content_type":…|null} (never the body).
//
// Orthanc runs with its own configuration and storage in the temp dir (HttpPort Q picked free,
// DICOM server off, remote access off, authentication on), never the system service's. Logs (ours
// and Orthanc's) go to stderr. SIGTERM/SIGINT, or stdin closing with --exit-with-stdin, stop
// everything: Orthanc is killed (its storage is thrown away anyway, and a graceful stop takes about
// 2.5 s), sockets are destroyed and the temp dir is removed. If Orthanc dies on its own, so does
// this server (exit 1).

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import process from 'node:process';

import { makePki } from '../fhir/pki.mjs';
import { startFaults } from './faults.mjs';
import { makeProxy } from './proxy.mjs';

const BASE_PATH = '/dicom-web';
const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';
const USERNAME = 'wardcam';
const READY_TIMEOUT_MS = 30_000;
const START_ATTEMPTS = 3; // Orthanc's port is picked free, then bound by Orthanc: another process may win.

function parseArgs(argv) {
  const args = { port: 0, faults: false, exitWithStdin: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') args.port = Number(argv[++i]);
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
  console.error('[orthanc-test-server]', ...parts);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Orthanc's binary: Debian installs it as /usr/sbin/Orthanc, which is not on a user's PATH. */
function findOrthanc() {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    if (dir && existsSync(join(dir, 'Orthanc'))) return join(dir, 'Orthanc');
  }
  throw new Error(
    `the Orthanc binary was not found (looked on PATH and in /usr/sbin): install the Debian packages ` +
      `orthanc and orthanc-dicomweb (scripts/setup does)`,
  );
}

/** `setpriv --pdeathsig KILL`, when there is one: Orthanc dies with us even if we are SIGKILLed. */
function findSetpriv() {
  for (const path of ['/usr/bin/setpriv', '/bin/setpriv']) if (existsSync(path)) return path;
  return undefined;
}

/** A port nothing listens on right now (bound and released at once). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createTcpServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Orthanc's configuration: everything it reads, in a directory of its own. */
function writeOrthancConfig(configDir, storageDir, { httpPort, password, frontHost }) {
  const config = {
    Name: 'WardCam test PACS',
    StorageDirectory: storageDir,
    IndexDirectory: storageDir,
    HttpServerEnabled: true,
    HttpPort: httpPort,
    // Only the TLS front (and tests) on this machine talk to it.
    RemoteAccessAllowed: false,
    AuthenticationEnabled: true,
    RegisteredUsers: { [USERNAME]: password },
    DicomServerEnabled: false,
    // Modest: this runs beside builds on small machines.
    HttpThreadsCount: 8,
    ConcurrentJobs: 1,
    SaveJobs: false,
    StorageCompression: false,
    Plugins: [DICOMWEB_PLUGIN],
    DicomWeb: {
      Enable: true,
      Root: `${BASE_PATH}/`,
      // The URLs Orthanc writes into its answers (e.g. STOW-RS RetrieveURL) name the TLS front.
      Ssl: true,
      Host: frontHost,
    },
  };
  mkdirSync(configDir, { recursive: true });
  mkdirSync(storageDir, { recursive: true });
  writeFileSync(join(configDir, 'orthanc.json'), JSON.stringify(config, null, 2) + '\n');
}

/** GET `path` on Orthanc's plain port with the credential; resolves {status, text}. */
function orthancGet(port, path, authorization) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, headers: { Authorization: authorization }, agent: false, timeout: 2000 },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Starts Orthanc and waits until `GET /system` answers 200 with the credential and the DICOMweb
 * plugin is loaded. Resolves the child process; rejects if it exits first or takes too long.
 */
async function startOrthanc({ bin, configDir, httpPort, authorization, onSpawn }) {
  const setpriv = findSetpriv();
  const [command, args] = setpriv
    ? [setpriv, ['--pdeathsig', 'KILL', bin, '--no-jobs', configDir]]
    : [bin, ['--no-jobs', configDir]];
  // Its log goes straight to our stderr; stdout is only for the ready line.
  const child = spawn(command, args, { stdio: ['ignore', 2, 2] });
  onSpawn(child);
  let exited = null;
  child.on('exit', (code, signal) => (exited = signal ?? `code ${code}`));
  child.on('error', (err) => (exited = err.message));

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`Orthanc exited (${exited}) before answering; its log is above`);
    const reply = await orthancGet(httpPort, '/system', authorization).catch(() => null);
    if (reply?.status === 200) {
      const plugins = await orthancGet(httpPort, '/plugins', authorization);
      if (!JSON.parse(plugins.text).includes('dicom-web')) {
        child.kill('SIGKILL');
        throw new Error(`Orthanc started without its DICOMweb plugin (plugins: ${plugins.text.trim()})`);
      }
      return child;
    }
    if (reply) log(`Orthanc answered GET /system with HTTP ${reply.status}; waiting`);
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`Orthanc did not answer GET /system within ${READY_TIMEOUT_MS / 1000} s`);
}

/**
 * Listeners, their sockets, the proxy's agent and Orthanc, so that stop() can end them all
 * (connections the stall mode holds open included), then remove the temp dir.
 */
function makeLifecycle(dir) {
  const servers = [];
  const sockets = new Set();
  const agents = [];
  let orthanc = null;
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

  /** Kills Orthanc and waits (at most 2 s) until it is gone, so it writes nothing into a removed dir. */
  async function killOrthanc() {
    const child = orthanc;
    orthanc = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await Promise.race([gone, sleep(2000)]);
  }

  async function stop(code = 0) {
    if (stopping) return;
    stopping = true;
    for (const server of servers) server.close();
    for (const socket of sockets) socket.destroy();
    for (const agent of agents) agent.destroy();
    await killOrthanc();
    rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  }

  return {
    listen,
    stop,
    killOrthanc,
    addAgent: (agent) => agents.push(agent),
    /** The Orthanc process to kill at stop. */
    setOrthanc(child) {
      orthanc = child;
    },
    /** From now on, Orthanc exiting on its own stops this server too. */
    watchOrthanc() {
      const child = orthanc;
      child.on('exit', (c, signal) => {
        if (stopping || orthanc !== child) return;
        log(`Orthanc exited on its own (${signal ?? `code ${c}`}); stopping`);
        stop(1);
      });
    },
  };
}

/** Writes one endpoint file in the Rust core's EndpointConfig format; returns its path. */
function endpointWriter(dir, pki, password) {
  return (name, baseUrl) => {
    const path = join(dir, name === 'main' ? 'endpoint.json' : `endpoint-${name}.json`);
    const endpoint = {
      base_url: baseUrl,
      trust_anchors_pem: pki.caPem,
      spki_pins_sha256: pki.pins,
      credential: { scheme: 'basic', username: USERNAME, password },
    };
    writeFileSync(path, JSON.stringify(endpoint) + '\n');
    return path;
  };
}

/** Appends one JSON line per request, synchronously, so it is on disk before the request goes on. */
function requestLogger(path) {
  writeFileSync(path, '');
  return (mode, req) => {
    const entry = { mode, method: req.method, url: req.url, content_type: req.headers['content-type'] ?? null };
    appendFileSync(path, JSON.stringify(entry) + '\n');
  };
}

/** Makes the certificates, starts the front(s) and Orthanc, and returns the ready line. */
async function start(args, dir, lifecycle) {
  // Before anything slow: a missing package is the likeliest failure.
  const bin = findOrthanc();
  if (!existsSync(DICOMWEB_PLUGIN)) {
    throw new Error(`the DICOMweb plugin ${DICOMWEB_PLUGIN} is missing: install the Debian package orthanc-dicomweb`);
  }

  const pki = makePki(dir, { faults: args.faults });
  const password = randomBytes(18).toString('base64url');
  const authorization = 'Basic ' + Buffer.from(`${USERNAME}:${password}`).toString('base64');
  const logPath = join(dir, 'requests.jsonl');
  const logRequest = requestLogger(logPath);
  const writeEndpoint = endpointWriter(dir, pki, password);

  // The front first: Orthanc's configuration names its port (DicomWeb.Host).
  let forward = () => {
    throw new Error('proxy used before Orthanc started');
  };
  const mainServer = createServer(pki.good, (req, res) => {
    logRequest('main', req);
    forward(req, res);
  });
  const port = await lifecycle.listen(mainServer, args.port);
  const origin = `https://127.0.0.1:${port}`;
  const base = origin + BASE_PATH;

  let httpPort;
  for (let attempt = 1; ; attempt++) {
    httpPort = await freePort();
    const run = join(dir, `orthanc-${attempt}`);
    writeOrthancConfig(join(run, 'config'), join(run, 'storage'), { httpPort, password, frontHost: `127.0.0.1:${port}` });
    try {
      const t0 = Date.now();
      await startOrthanc({ bin, configDir: join(run, 'config'), httpPort, authorization, onSpawn: lifecycle.setOrthanc });
      lifecycle.watchOrthanc();
      log(`Orthanc answers on http://127.0.0.1:${httpPort} after ${Date.now() - t0} ms`);
      break;
    } catch (err) {
      if (attempt >= START_ATTEMPTS || !/exited/.test(err.message)) throw err;
      log(`${err.message}; retrying on another port`);
    }
  }
  const proxy = makeProxy(httpPort);
  lifecycle.addAgent(proxy.agent);
  forward = proxy.forward;

  const ready = {
    ready: true,
    base,
    orthanc: `http://127.0.0.1:${httpPort}`,
    username: USERNAME,
    password,
    ca: pki.caPath,
    pins: pki.pins,
    endpoint: writeEndpoint('main', base),
    log: logPath,
  };
  if (args.faults) {
    ready.faults = await startFaults({
      pki,
      forward: proxy.forward,
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
  const dir = mkdtempSync(join(tmpdir(), 'wardcam-orthanc-'));
  const lifecycle = makeLifecycle(dir);
  const stop = () => lifecycle.stop(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (args.exitWithStdin) {
    process.stdin.on('end', stop);
    process.stdin.on('close', stop);
    process.stdin.resume();
  }

  try {
    const t0 = Date.now();
    const ready = await start(args, dir, lifecycle);
    log(`ready in ${Date.now() - t0} ms`);
    process.stdout.write(JSON.stringify(ready) + '\n');
  } catch (err) {
    // Not ready, so nobody will ever read or delete the temp dir.
    log('failed to start:', err?.message ?? err);
    await lifecycle.stop(1);
  }
}

main();
