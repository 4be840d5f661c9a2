// Shared WebDriver helpers for the end-to-end tests: start the real app through tauri-driver,
// find elements by data-testid, call real Rust commands, save screenshots under target/e2e/.
import { Builder, By, until } from 'selenium-webdriver';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shots = join(root, 'target', 'e2e');
mkdirSync(shots, { recursive: true });

const port = process.env.WARDCAM_WEBDRIVER_PORT ?? '4444';
const application = process.env.WARDCAM_APP;

/** Starts a fresh app process under WebDriver. Always `quit()` it in a finally block. */
export async function startApp(args = []) {
  if (!application) throw new Error('WARDCAM_APP is not set: run the e2e tests through scripts/e2e');
  const capabilities = {
    browserName: 'wry',
    'tauri:options': { application, args },
  };
  const driver = await new Builder()
    .usingServer(`http://127.0.0.1:${port}/`)
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
    const pin = await invoke(driver, 'clinician_pin_set', { pin: '246810', name: 'Dr Ada Jones' });
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

/** Starts the FHIR R4 test server (tests/servers/fhir, medplum engine) with its seed patients for
 * one test file: call in `before`, and `stop()` it in `after`. `args()` are the app's debug flags
 * that point it at the server with its certificate pinned. */
export async function startFhirServer() {
  const server = spawn(
    'node',
    [join(root, 'tests/servers/fhir/server.mjs'), '--seed', join(root, 'tests/servers/fhir/seed-patients.json'), '--exit-with-stdin'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: server.stdout });
  const ready = await new Promise((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`FHIR server exited (${code})`)));
    lines.once('line', (line) => resolve(JSON.parse(line)));
  });
  if (ready.ready !== true) throw new Error(`FHIR server not ready: ${JSON.stringify(ready)}`);
  return {
    ...ready,
    args: () => [`--dev-fhir-base=${ready.base}`, `--dev-fhir-cert=${ready.cert}`],
    stop: () => {
      server.stdin.end();
      server.kill('SIGTERM');
    },
  };
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
