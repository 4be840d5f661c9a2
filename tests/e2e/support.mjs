// Shared WebDriver helpers for the end-to-end tests: start the real app through tauri-driver,
// find elements by data-testid, call real Rust commands, save screenshots under target/e2e/.
import { Builder, By, until } from 'selenium-webdriver';
import { spawn } from 'node:child_process';
import { provisionFor } from '../provision.mjs';

export { provisionFor };
import { createInterface } from 'node:readline';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shots = join(root, 'target', 'e2e');
mkdirSync(shots, { recursive: true });

const port = process.env.WARDCAM_WEBDRIVER_PORT ?? '4444';
const application = process.env.WARDCAM_APP;

/** The clinician PIN and name every test sets at first unlock (the vault persists between the
 * tests of one run, so only the first test to unlock sets them). */
export const CLINICIAN_PIN = '246810';
export const CLINICIAN_NAME = 'Dr Ada Jones';

/** Starts a fresh app process under WebDriver (the run's tauri-driver, or `server.port` of one from
 * `startDriver`), provisioned for the test trust (see `provisionFor`; pass `provision: false` to
 * start it with whatever policy it kept). Always end it with `quitApp` (or `quit()`) in a finally
 * block. */
export async function startApp(args = [], server = { port }, { provision = true } = {}) {
  if (!application) throw new Error('WARDCAM_APP is not set: run the e2e tests through scripts/e2e');
  const capabilities = {
    browserName: 'wry',
    'tauri:options': { application, args: provision ? provisionFor(args) : args },
  };
  const driver = await new Builder()
    .usingServer(`http://127.0.0.1:${server.port}/`)
    .withCapabilities(capabilities)
    .build();
  await driver.manage().setTimeouts({ implicit: 0, script: 15000 });
  return driver;
}

export const byTestId = (id) => By.css(`[data-testid="${id}"]`);

/** Waits until the element with `id` is present and visible, and returns it. */
export async function visible(driver, id, timeout = 15000) {
  const el = await driver.wait(until.elementLocated(byTestId(id)), timeout, `no [data-testid=${id}]`);
  await driver.wait(until.elementIsVisible(el), timeout, `[data-testid=${id}] not visible`);
  return el;
}

/** Whether an element with `id` is in the page now. */
export async function present(driver, id) {
  return (await driver.findElements(byTestId(id))).length > 0;
}

/** Waits until no element with `id` is in the page. */
export async function gone(driver, id, timeout = 15000) {
  await driver.wait(async () => !(await present(driver, id)), timeout, `[data-testid=${id}] still present`);
}

/** Calls a real Rust command from inside the WebView, as the UI would; returns {ok} or {err}. */
export async function invoke(driver, command, args = {}) {
  return driver.executeAsyncScript(
    `const done = arguments[arguments.length - 1];
     window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])
       .then((ok) => done({ ok: ok ?? null }), (err) => done({ err }));`,
    command,
    args,
  );
}

/** Saves a PNG of the window to target/e2e/<name>.png. */
export async function screenshot(driver, name) {
  const png = await driver.takeScreenshot();
  writeFileSync(join(shots, `${name}.png`), png, 'base64');
}

/** A screenshot for the README's guides: saved like any other, and also to docs/guide/<name>.png
 * when WARDCAM_GUIDE_SHOTS=1 (so a normal test run never changes a committed file). */
export async function guideShot(driver, name) {
  const png = await driver.takeScreenshot();
  writeFileSync(join(shots, `guide-${name}.png`), png, 'base64');
  if (process.env.WARDCAM_GUIDE_SHOTS === '1') {
    const guide = join(root, 'docs', 'guide');
    mkdirSync(guide, { recursive: true });
    writeFileSync(join(guide, `${name}.png`), png, 'base64');
  }
}

/** Draws a zigzag across the signature pad with WebDriver pointer actions, as a finger would. */
export async function drawSignature(driver) {
  const pad = await visible(driver, 'signature-pad');
  await driver.executeScript("arguments[0].scrollIntoView({ block: 'center' })", pad);
  const rect = await pad.getRect();
  const half = Math.floor(rect.width / 2) - 20;
  let actions = driver.actions({ async: true }).move({ origin: pad, x: -half, y: -25 }).press();
  for (let i = 1; i <= 12; i++) {
    actions = actions.move({ origin: pad, x: -half + Math.floor((2 * half * i) / 12), y: i % 2 ? 25 : -25, duration: 30 });
  }
  await actions.release().perform();
}

/** Saves a screenshot named `name` and returns what the error banner says, if anything: for a
 * test's catch block, so a failure shows the screen and core's refusal. */
export async function failureEvidence(driver, name) {
  try {
    await screenshot(driver, name);
    const banners = await driver.findElements(byTestId('error-banner'));
    if (banners.length === 0) return 'no error banner';
    const code = await banners[0].getAttribute('data-code');
    const said = await driver.executeScript('return arguments[0].innerText', banners[0]);
    return `error banner ${code}: ${said}`;
  } catch (e) {
    return `no evidence: ${e}`;
  }
}

/** Types into an input, replacing what it held. */
export async function type(driver, id, text) {
  const el = await visible(driver, id);
  await el.clear();
  await el.sendKeys(text);
  return el;
}

/** The rendered text of a visible element. Uses `innerText`, because WebKitWebDriver's getText
 * returns "" for text inside an `overflow: hidden; text-overflow: ellipsis` box. */
export async function text(driver, id) {
  const el = await visible(driver, id);
  return (await driver.executeScript('return arguments[0].innerText', el)).trim();
}

/** Waits until the text of `id` matches `pattern`; returns the text. */
export async function waitText(driver, id, pattern, timeout = 10000) {
  let last = '';
  await driver.wait(async () => {
    last = await text(driver, id);
    return pattern.test(last);
  }, timeout).catch(() => {
    throw new Error(`[data-testid=${id}] text ${JSON.stringify(last)} never matched ${pattern}`);
  });
  return last;
}

/** Scrolls the element to the middle of the window, then clicks it: the bottom navigation is fixed,
 * and WebKitWebDriver refuses a click whose target it covers. */
export async function tap(driver, id) {
  const el = await visible(driver, id);
  await driver.executeScript("arguments[0].scrollIntoView({ block: 'center' })", el);
  await el.click();
  return el;
}

/** A DCB1077-style wristband payload: GSRN (AI 8018) = GS1 company prefix (the placeholder
 * `DEFAULT_GSRN_PREFIX`) + NHS number + mod-10 check digit, then AI 93 `FAMILY/GIVEN/YYYYMMDD`. */
export function wristband(nhs, demographics) {
  const body = `5000000${nhs}`;
  let sum = 0;
  [...body].reverse().forEach((d, i) => (sum += Number(d) * (i % 2 === 0 ? 3 : 1)));
  return `]d28018${body}${(10 - (sum % 10)) % 10}93${demographics}`;
}

/** Records verbal consent for `purposes` through the real commands (the consent screen's own flow is
 * tested in consent.test.mjs): sets a clinician PIN and name first, as the first unlock does. */
export async function recordConsent(driver, purposes = ['care']) {
  // The vault persists between the tests of one run: set the PIN only if none is, with the same PIN
  // and name as consent.test.mjs uses.
  const status = await clinicianPinStatus(driver);
  if (!status.set) {
    const pin = await invoke(driver, 'clinician_pin_set', { pin: CLINICIAN_PIN, name: CLINICIAN_NAME, oldPin: null });
    if (pin.err) throw new Error(`clinician_pin_set: ${JSON.stringify(pin.err)}`);
  }
  const text = await invoke(driver, 'consent_text');
  if (text.err) throw new Error(`consent_text: ${JSON.stringify(text.err)}`);
  const recorded = await invoke(driver, 'consent_record', {
    form: {
      decision: 'permit',
      purposes,
      consented_by: { kind: 'patient' },
      method: { kind: 'verbal', witness: 'Nurse Jo Bloggs' },
      text_version: text.ok.version,
    },
  });
  if (recorded.err || recorded.ok.state !== 'consented') {
    throw new Error(`consent_record: ${JSON.stringify(recorded)}`);
  }
  return recorded.ok;
}

/** Starts a test server script (`tests/servers/<name>/server.mjs`) with `--exit-with-stdin` and
 * waits for its one JSON ready line. `flag` is the `provisionFor` flag naming an endpoint file; the
 * result has `args()` (the flag for the server's own endpoint file), `argsFor(file)` (for another,
 * such as a fault's: `faults.<mode>.endpoint`), `endpointAt(base)` (writes an endpoint file like
 * the server's with another address), `requests()` (the server's request log) and `stop()`. */
async function startTestServer(name, flag, extraArgs) {
  const server = spawn(
    'node',
    [join(root, `tests/servers/${name}/server.mjs`), '--exit-with-stdin', ...extraArgs],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: server.stdout });
  const ready = await new Promise((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`${name} server exited (${code})`)));
    lines.once('line', (line) => resolve(JSON.parse(line)));
  });
  if (ready.ready !== true) throw new Error(`${name} server not ready: ${JSON.stringify(ready)}`);
  const scratch = mkdtempSync(join(tmpdir(), 'wardcam-e2e-endpoint-'));
  let written = 0;
  const argsFor = (file) => [`${flag}${file}`];
  return {
    ...ready,
    args: () => argsFor(ready.endpoint),
    argsFor,
    endpointAt: (base) => {
      const config = { ...JSON.parse(readFileSync(ready.endpoint, 'utf8')), base_url: base };
      const file = join(scratch, `endpoint-${++written}.json`);
      writeFileSync(file, JSON.stringify(config));
      return file;
    },
    requests: () =>
      readFileSync(ready.log, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l)),
    stop: () => {
      server.stdin.end();
      server.kill('SIGTERM');
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/** Starts the FHIR R4 test server (tests/servers/fhir, medplum engine) with its seed patients for
 * one test file: call in `before`, and `stop()` it in `after` (see `startTestServer`; `faults:
 * true` starts the fault listeners). */
export function startFhirServer({ faults = false } = {}) {
  return startTestServer('fhir', '--e2e-record=', [
    '--seed',
    join(root, 'tests/servers/fhir/seed-patients.json'),
    ...(faults ? ['--faults'] : []),
  ]);
}

/** Starts the PACS test server (tests/servers/orthanc: Orthanc with DICOMweb behind a TLS front,
 * basic auth) for one test file, like `startFhirServer`. `orthanc(path)` reads Orthanc's own REST
 * API (plain HTTP on loopback, with the credential) for checks. */
export async function startPacsServer({ faults = false } = {}) {
  const server = await startTestServer('orthanc', '--e2e-pacs=', faults ? ['--faults'] : []);
  const auth = `Basic ${Buffer.from(`${server.username}:${server.password}`).toString('base64')}`;
  return {
    ...server,
    orthanc: async (path) => {
      const res = await fetch(`${server.orthanc}${path}`, { headers: { authorization: auth } });
      if (!res.ok) throw new Error(`Orthanc ${path}: HTTP ${res.status}`);
      return res.json();
    },
  };
}

/** The vault's status once the key gate is ready (locked behind it, open, or unavailable). */
export async function vaultStatus(driver) {
  let status;
  await driver.wait(async () => {
    status = (await invoke(driver, 'vault_status')).ok;
    return status && status.state !== 'opening';
  }, 20000, 'vault never finished opening');
  return status;
}

/** The clinician PIN's status, once the vault has opened. */
export async function clinicianPinStatus(driver) {
  let status;
  await driver.wait(async () => {
    status = (await invoke(driver, 'clinician_pin_status')).ok;
    return status?.ready === true;
  }, 15000, 'the vault never opened');
  return status;
}

/** Unlocks as a clinician does: types the PIN on the lock screen, or on the first start of this
 * run's vault sets it with the clinician's name. Lands wherever core says (a resumed visit's
 * screen, or the patient screen). */
export async function unlockWithPin(driver, pin = CLINICIAN_PIN) {
  await visible(driver, 'screen-lock');
  // The keystore answers in the background: the form appears once the key gate is ready.
  let form;
  await driver.wait(async () => {
    for (const id of ['lock-setup', 'lock-unlock']) {
      if ((await driver.findElements(By.css(`[data-testid="${id}"]`))).length > 0) {
        form = id;
        return true;
      }
    }
    return false;
  }, 20000, 'the lock screen never offered the PIN');
  if (form === 'lock-setup') {
    await type(driver, 'pin-name', CLINICIAN_NAME);
    await type(driver, 'pin-first', pin);
    await type(driver, 'pin-second', pin);
    await tap(driver, 'pin-save');
  } else {
    await type(driver, 'unlock-pin', pin);
    await tap(driver, 'unlock-submit');
  }
  await gone(driver, 'screen-lock');
  const status = (await invoke(driver, 'clinician_pin_status')).ok;
  if (!status?.set || status.clinician !== CLINICIAN_NAME) {
    throw new Error(`clinician PIN not set: ${JSON.stringify(status)}`);
  }
}

/** Unlocks through the command the lock screen uses (or sets the PIN on a first start). */
export async function unlockByCommand(driver) {
  let gate;
  await driver.wait(async () => {
    gate = (await invoke(driver, 'session_gate')).ok;
    return gate != null;
  }, 20000, 'the key gate never became ready');
  return gate.set_up
    ? must(await invoke(driver, 'session_unlock', { pin: CLINICIAN_PIN }), 'session_unlock')
    : must(await invoke(driver, 'session_set_up', { pin: CLINICIAN_PIN, name: CLINICIAN_NAME }), 'session_set_up');
}

/** Opens the camera on the Capture screen and waits for WebKitGTK's mock device to go live and
 * deliver its first frame (the app must run with `--dev-mock-camera`): the stream goes live a
 * moment before the first frame, and a shutter pressed in between is refused (`camera.no_frame`). */
export async function openMockCamera(driver) {
  // The camera opens by itself once consent is recorded; after a lock or in a queued visit the
  // Capture screen offers "Open camera" instead.
  let shown;
  await driver.wait(async () => {
    for (const id of ['camera-view', 'open-camera']) {
      if (await present(driver, id)) {
        shown = id;
        return true;
      }
    }
    return false;
  }, 15000, 'neither the camera nor "Open camera" appeared');
  if (shown === 'open-camera') await tap(driver, 'open-camera');
  const camera = await visible(driver, 'camera-view');
  await driver.wait(async () => (await camera.getAttribute('data-state')) === 'live', 15000, 'mock camera never went live');
  const video = await driver.findElement(byTestId('camera-video'));
  await driver.wait(
    async () => (await driver.executeScript('return arguments[0].videoWidth', video)) > 0,
    15000,
    'mock camera never delivered a frame',
  );
  return camera;
}

/** Labels photo `id` on the Review screen: body site Heel (SNOMED CT 76853006), left side. */
export async function labelHeelLeft(driver, id) {
  await type(driver, `site-search-${id}`, 'heel');
  await tap(driver, 'site-option-76853006');
  await tap(driver, `side-left-${id}`);
  await tap(driver, `save-label-${id}`);
  await waitText(driver, `site-${id}`, /Heel/);
}

/** On the Consent screen: the clinician records verbal consent before a witness, through the UI,
 * and the app moves on to Capture. */
export async function recordVerbalConsentInUi(driver, witness = 'Nurse Bo Smith') {
  await tap(driver, 'consent-how-verbal');
  await type(driver, 'consent-witness', witness);
  await tap(driver, 'consent-record-verbal');
  await visible(driver, 'screen-capture');
}

/** On the Capture screen: one photo with the mock camera, then Review; returns core's list of the
 * visit's photos (the app must run with `--dev-mock-camera`). */
export async function shootAndReview(driver) {
  await openMockCamera(driver);
  await tap(driver, 'camera-shutter');
  await waitText(driver, 'capture-status', /Photo kept/);
  await tap(driver, 'go-review');
  await visible(driver, 'screen-review');
  return (await invoke(driver, 'photos_list')).ok;
}

/** Ends the visit open in the app, if any. The open visit is sealed in the vault and resumed at the
 * next start, and the vault persists between the tests of one run: a test that leaves a visit
 * open would hand it to the next test. Photos not yet queued are deleted; queued ones stay in the
 * Outbox (tests find their own photos by id). */
export async function endVisit(driver) {
  await vaultStatus(driver);
  let view = (await invoke(driver, 'session_view')).ok;
  if (!view) return;
  if (view.kiosk) view = must(await invoke(driver, 'consent_hand_back', { pin: CLINICIAN_PIN }), 'consent_hand_back');
  if (view.state === 'locked') view = await unlockByCommand(driver);
  if (view.patient === null) return;
  for (const photo of must(await invoke(driver, 'photos_list'), 'photos_list')) {
    if (photo.state === 'captured') must(await invoke(driver, 'photo_delete', { id: photo.id }), 'photo_delete');
  }
  view = must(await invoke(driver, 'session_end_patient'), 'session_end_patient');
  if (view.patient !== null) throw new Error(`visit still open: ${JSON.stringify(view)}`);
}

function must(result, command) {
  if (result.err) throw new Error(`${command}: ${JSON.stringify(result.err)}`);
  return result.ok;
}

/** Ends any open visit (best effort: a failure is logged, so it cannot hide the test's own error),
 * then quits the WebDriver session, which closes the app. */
export async function quitApp(driver) {
  try {
    await endVisit(driver);
  } catch (e) {
    console.error(`cleanup: could not end the open visit: ${e}`);
  }
  await driver.quit();
}

/** A port nothing listens on now. */
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: free } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return free;
}

/** Starts a private tauri-driver (with its own WebKitWebDriver) for a session the test will break,
 * such as one whose app is killed: a session left behind makes WebKitWebDriver refuse new ones
 * ("Maximum number of active sessions") until its driver restarts, so the run's shared driver must
 * never hold it. Runs in its own process group; `stop()` ends the group. Inherits this process's
 * display, D-Bus session (keyring) and XDG folders, so the app sees the same vault. */
export async function startDriver({ env = {} } = {}) {
  const driverPort = await freePort();
  const nativePort = await freePort();
  const child = spawn(
    join(root, '.tools', 'bin', 'tauri-driver'),
    ['--port', String(driverPort), '--native-port', String(nativePort), '--native-driver', '/usr/bin/WebKitWebDriver'],
    { detached: true, stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, ...env } },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return; // already gone
    }
    const timeout = sleep(5000).then(() => 'timeout');
    if ((await Promise.race([exited, timeout])) === 'timeout') {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
  };
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${driverPort}/status`);
      if (r.ok) return { port: driverPort, pid: child.pid, stop };
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  await stop();
  throw new Error(`private tauri-driver on port ${driverPort} never answered`);
}

/** Process ids under `ancestor` (children, grandchildren, ...), from /proc. */
function descendants(ancestor) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces or parentheses, so split after the last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  const out = [];
  const queue = [ancestor];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** Whether `pid` runs (a zombie, dead but not yet reaped by its parent, does not). */
function running(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Waits (up to 15 s) until no copy of the app binary (WARDCAM_APP) and no WebKit helper process
 * runs any more: WebKit's processes still write their storage files for a moment after a session
 * ends, so a scan of the disk before then races them. */
export async function appsStopped() {
  const binary = realpathSync(application);
  const alive = () =>
    readdirSync('/proc').filter((pid) => {
      if (!/^\d+$/.test(pid) || !running(Number(pid))) return false;
      try {
        const exe = realpathSync(`/proc/${pid}/exe`);
        return exe === binary || /\/WebKit(Network|Web)Process$/.test(exe);
      } catch {
        return false;
      }
    });
  for (let i = 0; i < 150 && alive().length > 0; i++) await sleep(100);
  const left = alive();
  if (left.length > 0) throw new Error(`app processes still running 15 s after the session ended: ${left.join(', ')}`);
}

/** The pid of the app binary (WARDCAM_APP) running under the private driver `server`. */
export function appPid(server) {
  const binary = realpathSync(application);
  const pids = descendants(server.pid).filter((pid) => {
    try {
      return realpathSync(`/proc/${pid}/exe`) === binary;
    } catch {
      return false;
    }
  });
  if (pids.length !== 1) throw new Error(`expected one app process under tauri-driver ${server.pid}, found ${JSON.stringify(pids)}`);
  return pids[0];
}

/** Kills the app hard (SIGKILL: no shutdown code runs, as in a crash or a phone killing it), then
 * drops the dead WebDriver session and stops the private driver `server` that held it. */
export async function killApp(driver, server) {
  const pid = appPid(server);
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && running(pid); i++) await sleep(100);
  if (running(pid)) throw new Error(`app ${pid} still running after SIGKILL`);
  // The session's browser is gone: quitting may fail or hang; the driver is stopped either way.
  await Promise.race([driver.quit().catch(() => undefined), sleep(10000)]);
  await server.stop();
  return pid;
}
