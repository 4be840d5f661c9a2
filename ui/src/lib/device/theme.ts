// Light or dark theme: follows the system unless the user picks one on the Device screen.
// Stored in localStorage because it is a display preference, never clinical data.

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'wardcam.theme';

export function storedTheme(storage: Pick<Storage, 'getItem'> = localStorage): ThemeChoice {
  const value = storage.getItem(KEY);
  return value === 'light' || value === 'dark' ? value : 'system';
}

/** The next choice in the cycle system → light → dark → system. */
export function nextTheme(choice: ThemeChoice): ThemeChoice {
  return choice === 'system' ? 'light' : choice === 'light' ? 'dark' : 'system';
}

export function applyTheme(choice: ThemeChoice, root: HTMLElement = document.documentElement): void {
  if (choice === 'system') delete root.dataset.theme;
  else root.dataset.theme = choice;
}

export function saveTheme(choice: ThemeChoice, storage: Pick<Storage, 'setItem'> = localStorage): void {
  storage.setItem(KEY, choice);
  applyTheme(choice);
}

export function applyStoredTheme(): void {
  try {
    applyTheme(storedTheme());
  } catch {
    // No storage (private mode): the system theme applies.
  }
}
