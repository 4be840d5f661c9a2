// The TLS front's HTTP half: forwards one request to Orthanc's plain HTTP port and relays the answer,
// streaming bodies both ways. Method, path and query, and every end-to-end header (Authorization and
// Content-Type included) go through unchanged; so do the status and headers coming back. Only
// hop-by-hop headers (RFC 9110 §7.6.1) are dropped, since each side has its own connection.

import { Agent, request as httpRequest } from 'node:http';
import { pipeline } from 'node:stream';

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade',
  // The front has already answered any `Expect: 100-continue` itself (Node does by default).
  'expect',
]);

/** Headers minus hop-by-hop ones, including any the Connection header names. */
function endToEnd(headers) {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const out = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name) && !named.has(name)) out[name] = value;
  }
  return out;
}

/** A short plain-text answer for when Orthanc cannot be reached. */
function badGateway(res, err) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = `test server: Orthanc unreachable: ${err.code ?? err.message}\n`;
  res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Returns { forward(req, res, options), agent }. `forward` relays `req` to Orthanc on
 * 127.0.0.1:`port`. Options: `headers` (a function from the outgoing header object to the one to
 * send), `onResponse(upstream, res)` (takes over relaying the answer instead of streaming it).
 */
export function makeProxy(port) {
  // Keep-alive towards Orthanc; destroyed at shutdown.
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });

  function forward(req, res, { headers = (h) => h, onResponse } = {}) {
    const upstream = httpRequest(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers: headers(endToEnd(req.headers)), agent },
      (answer) => {
        if (onResponse) {
          onResponse(answer, res);
          return;
        }
        res.writeHead(answer.statusCode, answer.statusMessage, endToEnd(answer.headers));
        // If the client goes away, stop reading Orthanc's answer (and the other way round).
        pipeline(answer, res, () => {});
      },
    );
    upstream.on('error', (err) => badGateway(res, err));
    // Not pipeline(): that would destroy the client's socket when Orthanc fails, before the 502.
    req.pipe(upstream);
    // A client that aborts its upload aborts the upstream request too.
    req.on('error', () => upstream.destroy());
    req.on('close', () => {
      if (!req.complete) upstream.destroy();
    });
  }

  return { forward, agent };
}
