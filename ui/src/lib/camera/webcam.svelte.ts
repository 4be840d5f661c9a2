// The desktop camera: a getUserMedia preview in the WebView and a canvas snapshot handed to Rust
// as raw JPEG bytes. Nothing here writes a file, asks for a file picker or keeps a photo: the
// snapshot's bytes go straight into `capture_photo` and the canvas is emptied afterwards.
// (Android and iOS use the native camera plugin instead: raw IPC bodies don't exist there.)

import { WardcamError } from '../ipc';

/** Where the camera stands. `idle` before start and after stop. */
export type CameraState = 'idle' | 'starting' | 'live' | 'no-camera' | 'denied' | 'error';

/** Hands the JPEG to Rust; resolves with whatever the backend answers. */
export type SendPhoto = (jpeg: Uint8Array, purpose: string) => Promise<unknown>;

/** What the controller needs from the browser, so tests can stand in for it. */
export interface WebcamDeps {
  mediaDevices?: Pick<MediaDevices, 'getUserMedia'>;
  createCanvas?: () => HTMLCanvasElement;
}

/** JPEG quality for the snapshot: high enough for wound detail, the same as the native camera. */
export const JPEG_QUALITY = 0.95;

// Prefer the back camera and a large frame; `ideal` so a plain webcam still matches.
const CONSTRAINTS: MediaStreamConstraints = {
  audio: false,
  video: {
    facingMode: { ideal: 'environment' },
    width: { ideal: 1920 },
    height: { ideal: 1080 },
  },
};

const NO_CAMERA = new Set(['NotFoundError', 'DevicesNotFoundError', 'OverconstrainedError']);
const DENIED = new Set(['NotAllowedError', 'PermissionDeniedError', 'SecurityError']);

/** Maps a getUserMedia rejection onto a state. WebKitGTK with no camera says OverconstrainedError. */
export function classify(error: unknown): CameraState {
  const name = (error as { name?: unknown } | null)?.name;
  if (typeof name === 'string' && NO_CAMERA.has(name)) return 'no-camera';
  if (typeof name === 'string' && DENIED.has(name)) return 'denied';
  return 'error';
}

/** Whether `bytes` begin like a JPEG file (SOI marker FF D8). */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length > 2 && bytes[0] === 0xff && bytes[1] === 0xd8;
}

export class Webcam {
  state = $state<CameraState>('idle');
  /** Why the camera is in `error`, for the screen; never contains image data. */
  detail = $state<string | null>(null);
  /** True while a snapshot is being taken and sent. */
  busy = $state(false);
  stream = $state.raw<MediaStream | null>(null);
  #deps: WebcamDeps;
  #generation = 0;

  constructor(deps: WebcamDeps = {}) {
    this.#deps = deps;
  }

  /** Opens the camera. Safe to call again: a second call while starting or live does nothing. */
  async start(): Promise<void> {
    if (this.state === 'starting' || this.state === 'live') return;
    const media =
      this.#deps.mediaDevices ?? (typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined);
    if (!media?.getUserMedia) {
      this.state = 'error';
      this.detail = 'This window cannot use a camera.';
      return;
    }
    const generation = ++this.#generation;
    this.state = 'starting';
    this.detail = null;
    try {
      const stream = await media.getUserMedia(CONSTRAINTS);
      if (generation !== this.#generation) {
        // stop() came while the permission prompt was up: release the camera at once.
        stopTracks(stream);
        return;
      }
      this.stream = stream;
      this.state = 'live';
    } catch (e) {
      if (generation !== this.#generation) return;
      this.state = classify(e);
      this.detail = this.state === 'error' ? describe(e) : null;
    }
  }

  /** Releases the camera (its light goes off). */
  stop(): void {
    this.#generation++;
    if (this.stream) stopTracks(this.stream);
    this.stream = null;
    this.state = 'idle';
    this.busy = false;
  }

  /** The current frame of `video` as JPEG bytes, in memory only. */
  async snapshot(video: HTMLVideoElement): Promise<Uint8Array> {
    if (this.state !== 'live') throw new Error('The camera is not live.');
    const width = video.videoWidth;
    const height = video.videoHeight;
    if (!width || !height) {
      // The stream is open but its first picture has not arrived (it takes a moment after the
      // camera starts): the clinician only needs to press again.
      throw new WardcamError(
        'camera.no_frame',
        'The camera has not delivered a frame yet. Wait a moment, then press the shutter again.',
      );
    }
    const canvas = this.#deps.createCanvas?.() ?? document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    try {
      const context = canvas.getContext('2d');
      if (!context) throw new Error('Drawing is not available in this window.');
      context.drawImage(video, 0, 0, width, height);
      const blob = await new Promise<Blob | null>((resolve) =>
        canvas.toBlob(resolve, 'image/jpeg', JPEG_QUALITY),
      );
      if (!blob) throw new Error('The frame could not be encoded.');
      const bytes = new Uint8Array(await blob.arrayBuffer());
      if (!isJpeg(bytes)) throw new Error('The frame was not encoded as JPEG.');
      return bytes;
    } finally {
      // Drop the pixels now rather than when the canvas is collected.
      canvas.width = 0;
      canvas.height = 0;
    }
  }

  /** Takes a snapshot and sends it; the bytes are zeroed once the backend has them. */
  async capture(video: HTMLVideoElement, purpose: string, send: SendPhoto): Promise<unknown> {
    if (this.busy) return undefined;
    this.busy = true;
    let bytes: Uint8Array | null = null;
    try {
      bytes = await this.snapshot(video);
      return await send(bytes, purpose);
    } finally {
      bytes?.fill(0);
      this.busy = false;
    }
  }
}

function stopTracks(stream: MediaStream) {
  for (const track of stream.getTracks()) track.stop();
}

function describe(e: unknown): string {
  const name = (e as { name?: unknown } | null)?.name;
  if (name === 'NotReadableError' || name === 'TrackStartError') {
    return 'The camera is in use by another app. Close it and try again.';
  }
  return 'The camera could not start. Try again; if it keeps failing, restart WardCam.';
}
