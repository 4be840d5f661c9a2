import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { noCopy } from './noCopy';

function fire(target: EventTarget, type: string): Event {
  const event = new Event(type, { bubbles: true, cancelable: true });
  target.dispatchEvent(event);
  return event;
}

describe('noCopy', () => {
  const destroyers: (() => void)[] = [];
  afterEach(() => {
    destroyers.splice(0).forEach((d) => d());
    document.body.innerHTML = '';
    document.getSelection()?.removeAllRanges();
  });

  function guard(node: HTMLElement) {
    const handle = noCopy(node);
    destroyers.push(() => handle?.destroy?.());
  }

  function page() {
    document.body.innerHTML = '<p id="before">Patient</p><p id="nhs"><span id="digits">943 476 5919</span></p><p id="after">Heel</p>';
    const el = (id: string) => document.getElementById(id)!;
    return { before: el('before'), nhs: el('nhs'), digits: el('digits'), after: el('after') };
  }

  it('cancels copy, cut, drag, selection and the context menu on the identifier and inside it', () => {
    const { nhs, digits } = page();
    guard(nhs);
    for (const type of ['copy', 'cut', 'contextmenu', 'dragstart', 'selectstart']) {
      expect(fire(nhs, type).defaultPrevented, type).toBe(true);
      expect(fire(digits, type).defaultPrevented, `${type} inside`).toBe(true);
    }
  });

  it('leaves other text alone', () => {
    const { nhs, after } = page();
    guard(nhs);
    expect(fire(after, 'copy').defaultPrevented).toBe(false);
    expect(fire(after, 'contextmenu').defaultPrevented).toBe(false);
  });

  it('cancels a copy whose selection starts outside and reaches into the identifier', () => {
    const { before, nhs, after } = page();
    guard(nhs);
    const range = document.createRange();
    range.setStart(before.firstChild!, 0);
    range.setEnd(after.firstChild!, 2);
    document.getSelection()!.addRange(range);
    expect(fire(before, 'copy').defaultPrevented).toBe(true);
    expect(fire(before, 'cut').defaultPrevented).toBe(true);
  });

  it('marks the element unselectable', () => {
    const { nhs } = page();
    guard(nhs);
    expect(nhs.dataset.noCopy).toBe('');
    expect(nhs.style.getPropertyValue('-webkit-user-select') || nhs.style.getPropertyValue('user-select')).toBe('none');
  });

  it('stops guarding once the element is gone', () => {
    const { nhs } = page();
    const handle = noCopy(nhs);
    handle?.destroy?.();
    expect(fire(nhs, 'copy').defaultPrevented).toBe(false);
  });
});

/** Every file under `dir` (recursively) whose name ends in one of `ext`. */
function files(dir: string, ext: string[]): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return files(path, ext);
    return ext.some((x) => e.name.endsWith(x)) ? [path] : [];
  });
}

describe('no way out through the clipboard or a share sheet', () => {
  // The repository: up from wherever Vitest was started (the root or ui/) to the folder with src-tauri.
  let repo = process.cwd();
  while (!existsSync(join(repo, 'src-tauri')) && dirname(repo) !== repo) repo = dirname(repo);
  repo += '/';

  it('the UI never shares and never writes to the clipboard', () => {
    const sources = files(join(repo, 'ui/src'), ['.ts', '.svelte']).filter((f) => !f.endsWith('.test.ts'));
    expect(sources.length).toBeGreaterThan(20);
    const found = sources.flatMap((f) => {
      const text = readFileSync(f, 'utf8');
      return [/navigator\.share/, /navigator\.clipboard/, /execCommand\(/, /plugin-clipboard/, /plugin-share/, /clipboardData\.setData/]
        .filter((re) => re.test(text))
        .map((re) => `${f}: ${re.source}`);
    });
    expect(found).toEqual([]);
  });

  it('no package, crate or capability brings a clipboard or share plugin', () => {
    const manifests = [
      'package.json',
      'src-tauri/Cargo.toml',
      ...files(join(repo, 'src-tauri/capabilities'), ['.json']).map((f) => f.slice(repo.length)),
    ];
    for (const m of manifests) {
      const text = readFileSync(join(repo, m), 'utf8');
      // Descriptions may say "no clipboard": look at dependency and permission names only.
      expect(text, m).not.toMatch(/(plugin-clipboard|plugin-share|clipboard-manager|"clipboard[^"]*:|"share[^"]*:)/);
    }
  });
});
