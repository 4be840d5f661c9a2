// The --faults listeners: one per way a PACS front can fail a pinned DICOMweb client. Each listens
// on 127.0.0.1 on its own random port (except `refused`, whose port is closed) in front of the same
// Orthanc as the main listener, and is reported in the ready line with its base URL and an endpoint
// file (same CA1 trust anchor, [K1, K2] pins and basic credential as the main one). See README.md.

import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer } from 'node:net';

const KIB = 1024;
/** `stall_mid_body` stops reading after this much of the request body (rounded up to a chunk). */
const STALL_AFTER = 32 * KIB;
/** `reset_mid_upload` resets the connection once this much of the request body has arrived. */
const RESET_AFTER = 64 * KIB;

/** WADO-RS retrieval of one instance or of frames: the answers `readback_differs` corrupts. */
const INSTANCE_OR_FRAMES = /\/studies\/[^/]+\/series\/[^/]+\/instances\/[^/]+(\/frames\/[^/]+)?\/?$/;

/** Answers every request with `status` and a small JSON body, after draining the request. */
function failWith(status, headers = {}) {
  return (req, res) => {
    req.resume();
    const text = JSON.stringify({ error: `test server fault: HTTP ${status}` });
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };
}

/** 302 to the same path and query on the main listener. */
function redirectTo(mainOrigin) {
  return (req, res) => {
    req.resume();
    res.writeHead(302, { Location: mainOrigin + req.url, 'Content-Length': 0 });
    res.end();
  };
}

/** Reads the first STALL_AFTER bytes of the body, then stops reading and never answers. */
function stallMidBody(req) {
  let received = 0;
  req.on('data', (chunk) => {
    received += chunk.length;
    if (received >= STALL_AFTER) req.pause();
  });
}

/**
 * Resets the TCP connection (RST, not FIN) once RESET_AFTER bytes of the body have arrived, or when
 * a shorter request is complete; nothing is forwarded. `raw` is the TCP socket under the TLS one: a
 * TLSSocket cannot resetAndDestroy() itself (ERR_INVALID_HANDLE_TYPE).
 */
function resetMidUpload(req, res, raw) {
  let received = 0;
  let done = false;
  const reset = () => {
    if (done) return;
    done = true;
    if (raw) raw.resetAndDestroy();
    else req.socket.destroy();
  };
  req.on('data', (chunk) => {
    received += chunk.length;
    if (received >= RESET_AFTER) reset();
  });
  req.on('end', reset);
}

/**
 * Flips one byte (XOR 0xff) of a buffered answer: the last content byte of the last multipart part,
 * i.e. the byte just before the closing `\r\n--boundary`, so the multipart framing stays intact and
 * only the payload differs (for an instance that is the last byte of its Pixel Data); without a
 * boundary, the middle byte.
 */
function flipOneByte(body, contentType) {
  const match = /boundary="?([^";]+)"?/i.exec(contentType ?? '');
  let at = -1;
  if (match) at = body.lastIndexOf(Buffer.from(`\r\n--${match[1]}`, 'latin1')) - 1;
  if (at < 0) at = Math.floor(body.length / 2);
  if (body.length > 0) body[at] ^= 0xff;
  return at;
}

/**
 * Proxies normally, except WADO-RS GETs of instances or frames: asks Orthanc for an uncompressed
 * answer, buffers it and relays it with one byte flipped (same length, same headers).
 */
function readbackDiffers(forward, log) {
  return (req, res) => {
    const path = req.url.split('?')[0];
    if (req.method !== 'GET' || !INSTANCE_OR_FRAMES.test(path)) {
      forward(req, res);
      return;
    }
    forward(req, res, {
      // A gzip answer with a flipped byte would fail to decompress instead of hashing differently.
      headers: (h) => {
        const { 'accept-encoding': _, ...rest } = h;
        return rest;
      },
      onResponse: (answer, out) => {
        const chunks = [];
        answer.on('data', (c) => chunks.push(c));
        answer.on('error', () => out.destroy());
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          const headers = { ...answer.headers };
          for (const h of ['connection', 'keep-alive', 'transfer-encoding']) delete headers[h];
          if (answer.statusCode === 200) {
            const at = flipOneByte(body, answer.headers['content-type']);
            log(`readback_differs: flipped byte ${at} of ${body.length} in ${path}`);
          }
          headers['content-length'] = body.length;
          out.writeHead(answer.statusCode, answer.statusMessage, headers);
          out.end(body);
        });
      },
    });
  };
}

/**
 * The modes in ready-line order. A TLS mode has `tls` (https.createServer options) and `handler`;
 * `refused` has neither (its port is closed before the ready line).
 */
function modes({ pki, forward, mainOrigin, log }) {
  const good = pki.good;
  const proxy = (req, res) => forward(req, res);
  return {
    // The certificate modes proxy to Orthanc too, so a client that wrongly accepts them visibly succeeds.
    unpinned: { tls: pki.faults.unpinned, handler: proxy },
    other_ca: { tls: pki.faults.other_ca, handler: proxy },
    expired: { tls: pki.faults.expired, handler: proxy },
    wrong_host: { tls: pki.faults.wrong_host, handler: proxy },
    // OpenSSL 3 refuses TLS 1.1 at its default security level 1; level 0 re-enables it (and its SHA-1 suites).
    tls11: {
      tls: { ...good, minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' },
      handler: proxy,
    },
    redirect: { tls: good, handler: redirectTo(mainOrigin) },
    status500: { tls: good, handler: failWith(500) },
    status503: { tls: good, handler: failWith(503, { 'Retry-After': '120' }) },
    // Node's default 300 s requestTimeout would end the stall with a 408.
    stall_mid_body: { tls: { ...good, requestTimeout: 0 }, handler: stallMidBody },
    reset_mid_upload: { tls: good, handler: resetMidUpload },
    refused: { closed: true },
    readback_differs: { tls: good, handler: readbackDiffers(forward, log) },
  };
}

/** The port of a listener opened and closed at once: nothing listens there (until someone binds it). */
function closedPort() {
  return new Promise((resolve, reject) => {
    const server = createTcpServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts every fault listener and returns the ready line's `faults` object.
 *
 * ctx: pki (from makePki with faults), forward(req, res, options) (the proxy to Orthanc),
 * mainOrigin ('https://127.0.0.1:PORT'), logRequest(mode, req), log(...),
 * listen(server) -> Promise<port> (also tracks its sockets for shutdown),
 * writeEndpoint(name, baseUrl) -> path, basePath ('/dicom-web').
 */
export async function startFaults(ctx) {
  const faults = {};
  for (const [mode, spec] of Object.entries(modes(ctx))) {
    let port;
    if (spec.closed) {
      port = await closedPort();
    } else {
      port = await ctx.listen(tlsListener(ctx, mode, spec));
    }
    const base = `https://127.0.0.1:${port}${ctx.basePath}`;
    faults[mode] = { base, endpoint: ctx.writeEndpoint(mode, base) };
  }
  return faults;
}

/** An HTTPS listener calling `spec.handler(req, res, raw)`, `raw` being the TCP socket under the TLS one. */
function tlsListener(ctx, mode, spec) {
  const server = createHttpsServer(spec.tls);
  // The TCP sockets, by the client's address and port (the same on the TLS socket above each).
  const raw = new Map();
  const key = (s) => `${s.remoteAddress}:${s.remotePort}`;
  server.on('connection', (socket) => {
    const k = key(socket);
    raw.set(k, socket);
    socket.on('close', () => raw.delete(k));
  });
  server.on('request', (req, res) => {
    ctx.logRequest(mode, req);
    spec.handler(req, res, raw.get(key(req.socket)));
  });
  // Refused handshakes are these listeners' purpose; a line on stderr helps when a test disagrees.
  server.on('tlsClientError', (err) => ctx.log(`${mode}: TLS handshake failed: ${err.code ?? err.message}`));
  return server;
}
