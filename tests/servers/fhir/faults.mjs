// The --faults listeners: one per way a FHIR server can fail a pinned TLS client. Each one listens
// on 127.0.0.1 on its own random port and is reported in the ready line with its base URL and an
// endpoint file (same CA1 trust anchor and [K1, K2] pins as the main server), so a test points the
// client at a fault exactly as it would at a real server. See README.md for what each one does.

import { randomBytes } from 'node:crypto';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer } from 'node:net';

import { outcome, send } from './responses.mjs';

/** Answers every request with `status`, an OperationOutcome and `headers`. */
function failWith(status, code, headers = {}) {
  return (req, res) => send(res, status, outcome(code, `test server fault: HTTP ${status}`), headers);
}

/** 302 to the same path and query on the main server. */
function redirectTo(mainOrigin) {
  return (req, res) => {
    res.writeHead(302, { Location: mainOrigin + req.url, 'Content-Length': 0 });
    res.end();
  };
}

/** 200 with a FHIR content type and a body cut off mid-Bundle: not JSON. */
function malformed(req, res) {
  const text = '{"resourceType":"Bundle","entry":[{';
  res.writeHead(200, { 'Content-Type': 'application/fhir+json; charset=utf-8', 'Content-Length': text.length });
  res.end(text);
}

/** Reads the request and never answers; the socket stays open until the server shuts down. */
function neverAnswer(req) {
  req.resume();
}

/** Passes requests carrying `Authorization: Bearer <token>` to `next`, refuses the rest with 401. */
function requireBearer(token, next) {
  return (req, res) => {
    const header = req.headers.authorization;
    const [scheme, value] = (header ?? '').split(' ');
    if (scheme?.toLowerCase() === 'bearer' && value === token) {
      next(req, res);
      return;
    }
    // RFC 6750: a bare challenge when no credential came, invalid_token when a wrong one did.
    const challenge = header ? 'Bearer error="invalid_token"' : 'Bearer';
    send(res, 401, outcome('login', 'a bearer token is required'), { 'WWW-Authenticate': challenge });
  };
}

/**
 * The modes in ready-line order. A TLS mode has `tls` (https.createServer options) and `handler`;
 * a TCP mode has `onSocket` (no TLS at all). `endpoint` adds keys to the mode's endpoint file;
 * `bare` names a second mode on the same listener whose endpoint file lacks those keys.
 */
function modes({ pki, serveFhir, mainOrigin, token }) {
  const good = pki.good;
  return {
    unpinned: { tls: pki.faults.unpinned, handler: serveFhir },
    other_ca: { tls: pki.faults.other_ca, handler: serveFhir },
    // The certificate modes below serve FHIR too, so a client that wrongly accepts them visibly succeeds.
    expired: { tls: pki.faults.expired, handler: serveFhir },
    expiring: { tls: pki.faults.expiring, handler: serveFhir },
    wrong_host: { tls: pki.faults.wrong_host, handler: serveFhir },
    // OpenSSL 3 refuses TLS 1.1 at its default security level 1; level 0 re-enables it (and its SHA-1 suites).
    tls11: {
      tls: { ...good, minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' },
      handler: serveFhir,
    },
    redirect: { tls: good, handler: redirectTo(mainOrigin) },
    status500: { tls: good, handler: failWith(500, 'exception') },
    status503: { tls: good, handler: failWith(503, 'transient', { 'Retry-After': '120' }) },
    status429: { tls: good, handler: failWith(429, 'throttled', { 'Retry-After': '30' }) },
    malformed: { tls: good, handler: malformed },
    // Accepts TCP and then says nothing, so a client waits in its TLS handshake.
    stall_before_handshake: { onSocket: () => {} },
    stall_after_handshake: { tls: good, handler: neverAnswer },
    reset: { onSocket: (socket) => socket.resetAndDestroy() },
    mtls: {
      tls: { ...good, requestCert: true, rejectUnauthorized: true, ca: pki.caPem },
      handler: serveFhir,
      endpoint: { client_certificate_pem: pki.client.cert, client_key_pem: pki.client.key },
      bare: 'mtls_missing',
    },
    auth: {
      tls: good,
      handler: requireBearer(token, serveFhir),
      endpoint: { credential: { scheme: 'bearer', token } },
      bare: 'auth_missing',
    },
  };
}

/**
 * Starts every fault listener and returns the ready line's `faults` object.
 *
 * ctx: pki (from makePki with faults), serveFhir(req, res), mainOrigin ('https://127.0.0.1:PORT'),
 * logRequest(mode, req), log(...), listen(server) -> Promise<port> (also tracks its sockets for
 * shutdown), writeEndpoint(name, baseUrl, extra) -> path, basePath ('/fhir/R4').
 */
export async function startFaults(ctx) {
  const token = randomBytes(24).toString('base64url');
  const faults = {};
  for (const [mode, spec] of Object.entries(modes({ ...ctx, token }))) {
    const server = spec.tls ? tlsListener(ctx, mode, spec) : tcpListener(spec);
    const port = await ctx.listen(server);
    const base = `https://127.0.0.1:${port}${ctx.basePath}`;
    faults[mode] = { base, endpoint: ctx.writeEndpoint(mode, base, spec.endpoint ?? {}) };
    if (spec.bare) {
      faults[spec.bare] = { base, endpoint: ctx.writeEndpoint(spec.bare, base, {}) };
    }
  }
  return faults;
}

function tlsListener(ctx, mode, spec) {
  const server = createHttpsServer(spec.tls, (req, res) => {
    ctx.logRequest(mode, req);
    spec.handler(req, res);
  });
  // Refused handshakes are these listeners' purpose; a line on stderr helps when a test disagrees.
  server.on('tlsClientError', (err) => ctx.log(`${mode}: TLS handshake failed: ${err.code ?? err.message}`));
  return server;
}

function tcpListener(spec) {
  return createTcpServer((socket) => {
    // The client may reset or time out first; that is expected, not a server error.
    socket.on('error', () => {});
    spec.onSocket(socket);
  });
}
