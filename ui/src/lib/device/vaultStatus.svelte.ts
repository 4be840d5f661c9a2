// The vault's health for the Device screen: asked for once, then updated when the backend reports
// that the vault finished opening (or failed to).
import { call, toWardcamError } from '../ipc';
import { describeError } from '../errors/knownErrors';
import type { VaultStatus } from '../types';

export const VAULT_CHANGED = 'vault://changed';

type Listen = (event: string, handler: (payload: VaultStatus) => void) => Promise<() => void>;

export class VaultStatusStore {
  status = $state<VaultStatus | null>(null);
  #unlisten: (() => void) | null = null;

  async start(listen: Listen, ask: () => Promise<VaultStatus> = () => call('vault_status')) {
    this.#unlisten = await listen(VAULT_CHANGED, (s) => {
      this.status = s;
    });
    try {
      const now = await ask();
      // An event may have arrived while asking; "opening" must not overwrite a final answer.
      if (!(now.state === 'opening' && this.status && this.status.state !== 'opening')) this.status = now;
    } catch (e) {
      const error = toWardcamError(e);
      this.status = { state: 'unavailable', error: { code: error.code, message: error.message } };
    }
  }

  stop() {
    this.#unlisten?.();
  }
}

/** One line for the Device screen. */
export function vaultSummary(status: VaultStatus | null): string {
  if (!status || status.state === 'opening') return 'Opening…';
  if (status.state === 'open') {
    const items = `${status.items} item${status.items === 1 ? '' : 's'}`;
    const repaired = status.repaired > 0 ? `, ${status.repaired} interrupted write(s) cleaned up` : '';
    return `Open: ${items}, key in ${status.keystore}${repaired}`;
  }
  if (status.state === 'locked') {
    return status.set_up
      ? `Locked: the key is wrapped under your PIN in ${status.keystore}`
      : `No PIN set yet: the vault opens when one is set (${status.keystore})`;
  }
  // The vault's own refusal carries what the keystore said, which the device manager needs on
  // this screen; anything else (asking for the status failed) gets the usual advice.
  const error = toWardcamError(status.error);
  return `Unavailable: ${error.code.startsWith('vault.') ? error.message : describeError(error)}`;
}
