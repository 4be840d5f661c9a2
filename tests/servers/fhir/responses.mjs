// Response helpers shared by the FHIR handler (server.mjs) and the fault listeners (faults.mjs).

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** Sends `body` as FHIR JSON with `status` and any extra `headers`. */
export function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': FHIR_JSON,
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** A one-issue OperationOutcome (`code` from the FHIR IssueType value set). */
export function outcome(code, diagnostics) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] };
}
