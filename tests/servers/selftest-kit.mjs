// What the test servers' self-tests share (tests/servers/fhir/selftest.mjs,
// tests/servers/orthanc/selftest.mjs): small assertions, one-shot HTTP(S) requests and TLS
// handshakes, the SPKI pin formula, and the run that starts a server, runs its checks, stops it
// by closing stdin and reports.
import { spawn } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname } from 'node:path';
import process from 'node:process';
import { connect as tlsConnect } from 'node:tls';

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** A delay that does not by itself keep the process alive. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export function portOf(base) {
  return Number(new URL(base).port);
}

/** One HTTP(S) request on a fresh connection; resolves {status, headers, body (Buffer), text}. */
export function request(url, { method = 'GET', headers = {}, body, tls = {} } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(u, { method, headers, agent: false, ...tls }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const all = Buffer.concat(chunks);
        resolve({ status: res.statusCode, headers: res.headers, body: all, text: all.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Expects `promise` to reject; returns the error's code (or message). */
export async function failure(promise) {
  try {
    await promise;
  } catch (err) {
    return err.code ?? err.message;
  }
  throw new Error('expected a failure, but it succeeded');
}

/** A TLS handshake only; resolves the connected socket (caller ends it). */
export function handshake(base, tls) {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: portOf(base), ...tls }, () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Base64 SHA-256 of a certificate's DER SubjectPublicKeyInfo: the pin format clients use. */
export function spkiPin(cert) {
  const der = cert.publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}

/** The certificate a listener presents, without judging it. */
export async function peerCert(base) {
  const socket = await handshake(base, { rejectUnauthorized: false });
  const cert = new X509Certificate(socket.getPeerCertificate(true).raw);
  socket.end();
  return cert;
}

/** Starts `node <script> ...args` with piped stdio; `ready` resolves its JSON ready line (the
 * first line on stdout), `stderr()` is what it logged. */
export function startServer(script, args) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr = [];
  child.stderr.on('data', (c) => stderr.push(c));
  const ready = new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('no ready line within 60 s')), 60_000).unref();
    child.stdout.on('data', (c) => {
      out += c;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(JSON.parse(out.slice(0, nl)));
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code} before ready`)));
  });
  return { child, ready, stderr: () => Buffer.concat(stderr).toString('utf8') };
}

/** Closes the server's stdin and checks it exits 0 within `withinMs` and removes its temp dir
 * (the directory of `ready.ca`); resolves the time it took. */
export async function stopByClosingStdin(server, ready, withinMs) {
  const t0 = Date.now();
  const exited = new Promise((resolve) => server.child.on('exit', (code) => resolve(code)));
  server.child.stdin.end();
  const code = await Promise.race([exited, sleep(5000).then(() => 'timeout')]);
  const ms = Date.now() - t0;
  assert(code === 0, `exit ${code}`);
  assert(ms < withinMs, `took ${ms} ms`);
  assert(!existsSync(dirname(ready.ca)), 'temp dir left behind');
  return ms;
}

/**
 * Starts a server (`start()` resolves `{child, ready, stderr()}`), runs `checks(ready).main` one
 * after another and `checks(ready).faults` side by side, then `shutdown(server, ready)`; prints
 * one line per check and PASS or FAILED, with the server's stderr on failure, and exits.
 */
export async function runSelftest({ start, checks, shutdown, cleanup = () => {} }) {
  let failures = 0;
  const report = (name, ok, detail) => {
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
  };
  const run = async (name, check) => {
    try {
      report(name, true, await check());
    } catch (err) {
      report(name, false, err?.message ?? String(err));
    }
  };

  const t0 = Date.now();
  const server = start();
  let ready;
  try {
    ready = await server.ready;
  } catch (err) {
    console.log(`FAIL start — ${err.message}\n${server.stderr()}`);
    process.exit(1);
  }
  console.log(`server ready in ${Date.now() - t0} ms: ${ready.base}`);

  const { main, faults } = checks(ready);
  for (const [name, check] of Object.entries(main)) await run(name, check);
  await Promise.all(Object.entries(faults).map(([mode, check]) => run(`fault ${mode}`, check)));
  await run('shutdown on stdin close', () => shutdown(server, ready));
  cleanup();

  console.log(`${failures === 0 ? 'PASS' : `FAILED: ${failures}`} in ${Date.now() - t0} ms`);
  if (failures > 0) {
    console.log('--- server stderr ---\n' + server.stderr());
    if (server.child.exitCode === null) server.child.kill('SIGTERM');
    process.exit(1);
  }
  // A stalled request's socket may still be open; nothing else is left to wait for.
  process.exit(0);
}
