// Test-only: sends messages on a Tauri `Channel` the UI passed to a mocked command, the way the Rust
// side does (through the IPC callback registered for the channel, numbered in order), so the real
// `Channel` class receives them. Used by Vitest and by the Playwright harness; never bundled.
import type { Channel } from '@tauri-apps/api/core';

interface MockedInternals {
  runCallback: (id: number, data: unknown) => void;
}

/** A function that sends `message` on `channel`, as `Channel<T>::send` does in Rust. */
export function channelSender<T>(channel: Channel<T>): (message: T) => void {
  let index = 0;
  return (message) => {
    const internals = (window as unknown as { __TAURI_INTERNALS__: MockedInternals }).__TAURI_INTERNALS__;
    internals.runCallback(channel.id, { index: index++, message });
  };
}
