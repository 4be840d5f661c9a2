// The test trust's provisioning, shared by `make run` (scripts/run) and the end-to-end tests: a
// policy naming the local test servers, signed by `wardcam-admin` with this checkout's test
// provisioning key (scripts/provisioning-test-key), which the test builds trust.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The test trust's policy for one start of the app: `--e2e-record=FILE` and `--e2e-pacs=FILE` name the test
 * servers' endpoint files, `--e2e-record-delivery` files photos in the record too, `--e2e-send-while-locked` lets photos go
 * while the app is locked, and
 * `--e2e-idle-seconds=N` sets the idle lock. These never reach the app: they become one policy,
 * signed by `wardcam-admin` with the run's test provisioning key (the key this build trusts, as a
 * trust's own build trusts its key), handed to the app as `--provision=FILE`, the product path. Each
 * code has a higher policy version than the last, as a trust's next policy would. */
const provisioningDir = join(root, 'target', 'provisioning-test');
const admin = process.env.WARDCAM_ADMIN ?? join(root, 'target', 'debug', 'wardcam-admin');
let lastVersion = 0;
export function provisionFor(args, { trust = 'WardCam Test Trust' } = {}) {
  const rest = [];
  const policy = { version: 0, trust: { name: trust, ods_code: 'RX1' } };
  for (const arg of args) {
    const [flag, value] = arg.split(/=(.*)/s);
    if (flag === '--e2e-record') policy.record = JSON.parse(readFileSync(value, 'utf8'));
    else if (flag === '--e2e-pacs') policy.pacs = JSON.parse(readFileSync(value, 'utf8'));
    else if (flag === '--e2e-record-delivery') policy.delivery = { ...policy.delivery, file_photos_in_record: true };
    else if (flag === '--e2e-send-while-locked') policy.delivery = { ...policy.delivery, send_while_locked: true };
    else if (flag === '--e2e-idle-seconds') policy.session = { idle_lock_seconds: Number(value) };
    else rest.push(arg);
  }
  // Seconds, so it fits the 32-bit integer Android's managed configuration carries.
  lastVersion = Math.max(Math.floor(Date.now() / 1000), lastVersion + 1);
  policy.version = lastVersion;
  const dir = mkdtempSync(join(tmpdir(), 'wardcam-e2e-policy-'));
  const file = join(dir, 'policy.json');
  writeFileSync(file, JSON.stringify(policy));
  const signed = spawnSync(
    admin,
    ['sign', file, '--key', join(provisioningDir, 'provisioning.key'), '--out', dir, '--include-secrets'],
    { encoding: 'utf8' },
  );
  if (signed.status !== 0) throw new Error(`wardcam-admin sign failed: ${signed.stderr}`);
  return [`--provision=${join(dir, 'code.txt')}`, ...rest];
}


// `node tests/provision.mjs --e2e-record=FILE ...` prints the app arguments (one per line).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const arg of provisionFor(process.argv.slice(2))) console.log(arg);
}
