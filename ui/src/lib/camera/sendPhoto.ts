// The one way a desktop snapshot reaches Rust: `capture_photo` with the JPEG as the raw body and
// the intended use in a header, so the bytes are never wrapped in JSON (no base64 copy in JS).
import { callRaw } from '../ipc';

/** Header naming the use the photo is taken for (a consent purpose such as `care`). */
export const PURPOSE_HEADER = 'x-wardcam-purpose';

export function sendPhoto(jpeg: Uint8Array, purpose: string): Promise<unknown> {
  return callRaw('capture_photo', jpeg, { [PURPOSE_HEADER]: purpose });
}
