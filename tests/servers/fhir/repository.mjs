// The test server's repository and validation: @medplum/fhir-router's in-memory repository, refusing
// every resource that is not valid FHIR R4 on every write path, and undoing a whole transaction when
// any of it fails (MemoryRepository itself has no transactions: `withTransaction` just runs the
// callback, so a transaction refused half-way would leave its first resources behind).
//
// Validation is @medplum/core's validateResource against the R4 base StructureDefinitions, with one
// correction: medplum caps every JSON string at 1 MiB, but FHIR R4 caps only `string` (1 MB);
// `base64Binary` has no upper limit, and a photo's Binary.data is several MiB. So a `data` element
// over 1 MiB in a Binary or an Attachment (an object with a `contentType`) is checked here as strict
// base64 and replaced by a short placeholder before the rest is validated.

import {
  OperationOutcomeError,
  normalizeOperationOutcome,
  validateResource,
} from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';

const ONE_MIB = 1024 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * `value` with every large base64 `data` element replaced by a placeholder (sharing everything else),
 * and an issue for each one that is not strict base64 (length a multiple of 4, padding only at the end).
 */
function withoutLargeData(value, path, issues, parentIsBinary) {
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v, i) => {
      const w = withoutLargeData(v, `${path}[${i}]`, issues, false);
      if (w !== v) changed = true;
      return w;
    });
    return changed ? out : value;
  }
  if (value === null || typeof value !== 'object') return value;
  const isBinary = value.resourceType === 'Binary';
  let out = value;
  for (const [key, v] of Object.entries(value)) {
    let w;
    if (key === 'data' && typeof v === 'string' && v.length > ONE_MIB && (isBinary || 'contentType' in value)) {
      if (v.length % 4 !== 0 || !BASE64.test(v)) {
        issues.push({
          severity: 'error',
          code: 'structure',
          details: { text: 'Invalid base64Binary format' },
          expression: [`${path}.${key}`],
        });
      }
      w = 'AAAA';
    } else {
      w = withoutLargeData(v, `${path}.${key}`, issues, isBinary);
    }
    if (w !== v) {
      if (out === value) out = { ...value };
      out[key] = w;
    }
  }
  return out;
}

/**
 * The error and fatal issues of `resource` against R4, each expression prefixed with `prefix` when
 * given (`Bundle.entry[2].resource`); [] when valid.
 */
export function validationErrors(resource, prefix) {
  const type = resource?.resourceType;
  const issues = [];
  const checked = withoutLargeData(resource, typeof type === 'string' ? type : 'Resource', issues, false);
  let found;
  try {
    found = validateResource(checked) ?? [];
  } catch (err) {
    found = err instanceof OperationOutcomeError ? (err.outcome.issue ?? []) : (normalizeOperationOutcome(err).issue ?? []);
  }
  const errors = [...issues, ...found].filter((i) => i.severity === 'error' || i.severity === 'fatal');
  if (!prefix) return errors;
  return errors.map((i) => ({
    ...i,
    expression: (i.expression ?? [typeof type === 'string' ? type : 'Resource']).map((e) =>
      typeof type === 'string' && e.startsWith(type) ? prefix + e.slice(type.length) : `${prefix}.${e}`,
    ),
  }));
}

/** Throws a 400 OperationOutcomeError unless `resource` is valid FHIR R4. */
export function validateOrThrow(resource) {
  const errors = validationErrors(resource);
  if (errors.length > 0) {
    throw new OperationOutcomeError({ resourceType: 'OperationOutcome', issue: errors });
  }
}

/**
 * Every resource in a transaction Bundle, validated before anything is written: [] when all are
 * valid, else every error, its expression rooted at the entry (`Bundle.entry[1].resource.status`).
 */
export function transactionErrors(bundle) {
  const entries = Array.isArray(bundle?.entry) ? bundle.entry : [];
  const errors = [];
  entries.forEach((entry, i) => {
    const resource = entry?.resource;
    if (resource === undefined || entry?.request?.method === 'PATCH') return;
    errors.push(...validationErrors(resource, `Bundle.entry[${i}].resource`));
  });
  return errors;
}

/** The in-memory repository, refusing invalid resources on every write path; transactions are atomic. */
export class ValidatingRepository extends MemoryRepository {
  async createResource(resource, ...rest) {
    validateOrThrow(resource);
    return super.createResource(resource, ...rest);
  }

  async updateResource(resource, ...rest) {
    validateOrThrow(resource);
    return super.updateResource(resource, ...rest);
  }

  /**
   * Runs `callback`; if it throws, every resource and history entry is put back as it was. Stored
   * resources are never changed in place (every write stores a fresh object), so copying the maps
   * and history arrays is a complete snapshot.
   */
  async withTransaction(callback) {
    const copy = (byType, inner) => new Map([...byType].map(([type, m]) => [type, inner(m)]));
    const resources = copy(this.resources, (m) => new Map(m));
    const history = copy(this.history, (m) => new Map([...m].map(([id, versions]) => [id, [...versions]])));
    try {
      return await callback(undefined);
    } catch (err) {
      this.resources.clear();
      for (const [k, v] of resources) this.resources.set(k, v);
      this.history.clear();
      for (const [k, v] of history) this.history.set(k, v);
      throw err;
    }
  }
}

/** A 400 for a transaction whose resources are not all valid R4. */
export function invalidTransaction(errors) {
  return new OperationOutcomeError({ resourceType: 'OperationOutcome', issue: errors });
}
