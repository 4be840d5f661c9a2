import { describe, expect, it } from 'vitest';
import { VaultStatusStore, vaultSummary } from './vaultStatus.svelte';
import type { VaultStatus } from '../types';

describe('vaultSummary', () => {
  it('says where the key is and how many items are held', () => {
    expect(vaultSummary({ state: 'open', keystore: 'Secret Service', items: 1, repaired: 0 })).toBe(
      'Open: 1 item, key in Secret Service',
    );
    expect(vaultSummary({ state: 'open', keystore: 'Keychain', items: 3, repaired: 2 })).toMatch(/3 items.*2 interrupted/);
  });

  it("passes on the backend's advice when the vault cannot open", () => {
    const s: VaultStatus = { state: 'unavailable', error: { code: 'vault.keystore_missing', message: 'Unlock the keyring.' } };
    expect(vaultSummary(s)).toBe('Unavailable: Unlock the keyring.');
    expect(vaultSummary(null)).toBe('Opening…');
  });
});

describe('VaultStatusStore', () => {
  it('keeps a final answer that arrived while it was asking', async () => {
    let emit: (s: VaultStatus) => void = () => undefined;
    const store = new VaultStatusStore();
    await store.start(
      async (_e, handler) => {
        emit = handler;
        return () => undefined;
      },
      async () => {
        emit({ state: 'open', keystore: 'Secret Service', items: 0, repaired: 0 });
        return { state: 'opening' };
      },
    );
    expect(store.status?.state).toBe('open');
  });

  it('reports a failed query as unavailable', async () => {
    const store = new VaultStatusStore();
    await store.start(
      async () => () => undefined,
      async () => {
        throw { code: 'app.unexpected', message: 'boom' };
      },
    );
    expect(store.status).toEqual({ state: 'unavailable', error: { code: 'app.unexpected', message: 'boom' } });
  });
});
