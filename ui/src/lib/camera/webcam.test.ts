import { afterEach, describe, expect, it, vi } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { classify, isJpeg, JPEG_QUALITY, Webcam } from './webcam.svelte';
import { PURPOSE_HEADER, sendPhoto } from './sendPhoto';
import { WardcamError } from '../ipc';

afterEach(() => clearMocks());

/** A stream whose tracks record being stopped. */
function fakeStream() {
  const tracks = [{ stop: vi.fn() }, { stop: vi.fn() }];
  return { stream: { getTracks: () => tracks } as unknown as MediaStream, tracks };
}

function named(name: string): Error {
  const e = new Error(name);
  e.name = name;
  return e;
}

/** A promise with its resolve/reject handed out, to hold getUserMedia "at the prompt". */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

/** A canvas whose toBlob yields `bytes` and records what it was asked for. */
function fakeCanvas(bytes: Uint8Array | null, context: unknown = { drawImage: vi.fn() }) {
  const canvas = {
    width: 0,
    height: 0,
    getContext: vi.fn(() => context),
    toBlob: vi.fn((cb: (b: Blob | null) => void, _type?: string, _q?: number) =>
      // jsdom's Blob has no arrayBuffer(); this stands in for the browser's.
      cb(bytes ? ({ arrayBuffer: async () => bytes.slice().buffer } as unknown as Blob) : null),
    ),
  };
  return canvas;
}

const video = { videoWidth: 640, videoHeight: 480 } as HTMLVideoElement;

async function liveWebcam(canvas: ReturnType<typeof fakeCanvas>) {
  const { stream } = fakeStream();
  const webcam = new Webcam({
    mediaDevices: { getUserMedia: vi.fn(async () => stream) },
    createCanvas: () => canvas as unknown as HTMLCanvasElement,
  });
  await webcam.start();
  return webcam;
}

describe('classify', () => {
  it('tells "no camera" from "refused" from other failures', () => {
    expect(classify(named('NotFoundError'))).toBe('no-camera');
    // WebKitGTK with no camera rejects this way (build-and-test facts).
    expect(classify(named('OverconstrainedError'))).toBe('no-camera');
    expect(classify(named('NotAllowedError'))).toBe('denied');
    expect(classify(named('SecurityError'))).toBe('denied');
    expect(classify(named('NotReadableError'))).toBe('error');
    expect(classify('boom')).toBe('error');
    expect(classify(null)).toBe('error');
  });
});

describe('isJpeg', () => {
  it('needs the SOI marker', () => {
    expect(isJpeg(JPEG)).toBe(true);
    expect(isJpeg(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBe(false);
    expect(isJpeg(new Uint8Array([0xff, 0xd8]))).toBe(false);
    expect(isJpeg(new Uint8Array())).toBe(false);
  });
});

describe('Webcam.start', () => {
  it('goes starting → live and asks for video only, never audio', async () => {
    const { stream } = fakeStream();
    const hold = deferred<MediaStream>();
    const getUserMedia = vi.fn((_c?: MediaStreamConstraints) => hold.promise);
    const webcam = new Webcam({ mediaDevices: { getUserMedia } });
    const started = webcam.start();
    expect(webcam.state).toBe('starting');
    hold.resolve(stream);
    await started;
    expect(webcam.state).toBe('live');
    expect(webcam.stream).toBe(stream);
    const constraints = getUserMedia.mock.calls[0]![0]!;
    expect(constraints.audio).toBe(false);
    expect(constraints.video).toBeTruthy();
  });

  it('does not open a second stream while live', async () => {
    const { stream } = fakeStream();
    const getUserMedia = vi.fn(async () => stream);
    const webcam = new Webcam({ mediaDevices: { getUserMedia } });
    await webcam.start();
    await webcam.start();
    expect(getUserMedia).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['NotFoundError', 'no-camera'],
    ['OverconstrainedError', 'no-camera'],
    ['NotAllowedError', 'denied'],
    ['NotReadableError', 'error'],
  ])('%s → %s', async (name, state) => {
    const webcam = new Webcam({ mediaDevices: { getUserMedia: vi.fn(async () => Promise.reject(named(name))) } });
    await webcam.start();
    expect(webcam.state).toBe(state);
    expect(webcam.stream).toBeNull();
    if (state === 'error') expect(webcam.detail).toMatch(/in use by another app/);
  });

  it('reports a window without getUserMedia as an error, not as "no camera"', async () => {
    const webcam = new Webcam({ mediaDevices: {} as Pick<MediaDevices, 'getUserMedia'> });
    await webcam.start();
    expect(webcam.state).toBe('error');
    expect(webcam.detail).toMatch(/cannot use a camera/);
  });
});

describe('Webcam.stop', () => {
  it('stops every track and goes idle', async () => {
    const { stream, tracks } = fakeStream();
    const webcam = new Webcam({ mediaDevices: { getUserMedia: vi.fn(async () => stream) } });
    await webcam.start();
    webcam.stop();
    expect(webcam.state).toBe('idle');
    expect(webcam.stream).toBeNull();
    for (const t of tracks) expect(t.stop).toHaveBeenCalledTimes(1);
  });

  it('releases a stream that arrives after stop (permission prompt answered late)', async () => {
    const { stream, tracks } = fakeStream();
    const hold = deferred<MediaStream>();
    const webcam = new Webcam({ mediaDevices: { getUserMedia: vi.fn(() => hold.promise) } });
    const started = webcam.start();
    webcam.stop();
    hold.resolve(stream);
    await started;
    expect(webcam.state).toBe('idle');
    expect(webcam.stream).toBeNull();
    for (const t of tracks) expect(t.stop).toHaveBeenCalledTimes(1);
  });

  it('ignores a rejection that arrives after stop', async () => {
    const hold = deferred<MediaStream>();
    const webcam = new Webcam({ mediaDevices: { getUserMedia: vi.fn(() => hold.promise) } });
    const started = webcam.start();
    webcam.stop();
    hold.reject(named('NotAllowedError'));
    await started;
    expect(webcam.state).toBe('idle');
  });
});

describe('Webcam.snapshot', () => {
  it('draws the full frame and encodes JPEG at the set quality', async () => {
    const context = { drawImage: vi.fn() };
    const canvas = fakeCanvas(JPEG, context);
    const webcam = await liveWebcam(canvas);
    const bytes = await webcam.snapshot(video);
    expect(Array.from(bytes)).toEqual(Array.from(JPEG));
    expect(context.drawImage).toHaveBeenCalledWith(video, 0, 0, 640, 480);
    expect(canvas.toBlob.mock.calls[0]!.slice(1)).toEqual(['image/jpeg', JPEG_QUALITY]);
    // The canvas is emptied afterwards so the pixels do not linger.
    expect([canvas.width, canvas.height]).toEqual([0, 0]);
  });

  it('refuses when not live, before the first frame, or when the encoder fails', async () => {
    const idle = new Webcam({ mediaDevices: { getUserMedia: vi.fn() } });
    await expect(idle.snapshot(video)).rejects.toThrow(/not live/);
    const webcam = await liveWebcam(fakeCanvas(JPEG));
    // Before the first frame: an error the clinician can act on, not an internal problem.
    await expect(webcam.snapshot({ videoWidth: 0, videoHeight: 0 } as HTMLVideoElement)).rejects.toMatchObject({
      code: 'camera.no_frame',
      message: expect.stringMatching(/frame yet.*press the shutter again/),
    });
    const noBlob = await liveWebcam(fakeCanvas(null));
    await expect(noBlob.snapshot(video)).rejects.toThrow(/could not be encoded/);
    // A browser that ignores the type and gives PNG must not pass as a JPEG.
    const png = await liveWebcam(fakeCanvas(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0])));
    await expect(png.snapshot(video)).rejects.toThrow(/not encoded as JPEG/);
  });
});

describe('Webcam.capture', () => {
  it('sends the JPEG with its purpose, then wipes the bytes', async () => {
    const webcam = await liveWebcam(fakeCanvas(JPEG));
    let sent: Uint8Array | null = null;
    let copy: number[] = [];
    const result = await webcam.capture(video, 'care', async (jpeg, purpose) => {
      expect(purpose).toBe('care');
      expect(webcam.busy).toBe(true);
      sent = jpeg;
      copy = Array.from(jpeg);
      return 'stored';
    });
    expect(result).toBe('stored');
    expect(copy).toEqual(Array.from(JPEG));
    expect(Array.from(sent!).every((b) => b === 0)).toBe(true);
    expect(webcam.busy).toBe(false);
  });

  it('wipes the bytes and clears busy when sending fails', async () => {
    const webcam = await liveWebcam(fakeCanvas(JPEG));
    let sent: Uint8Array | null = null;
    await expect(
      webcam.capture(video, 'care', async (jpeg) => {
        sent = jpeg;
        throw new WardcamError('session.not_capturing', 'no');
      }),
    ).rejects.toThrow('no');
    expect(Array.from(sent!).every((b) => b === 0)).toBe(true);
    expect(webcam.busy).toBe(false);
  });
});

describe('sendPhoto', () => {
  it('invokes capture_photo with the raw bytes as body and the purpose header', async () => {
    const calls: { cmd: string; args: unknown; headers: unknown }[] = [];
    mockIPC(() => 'ok');
    const internals = (window as unknown as { __TAURI_INTERNALS__: { invoke: (...a: unknown[]) => unknown } })
      .__TAURI_INTERNALS__;
    const inner = internals.invoke;
    internals.invoke = (cmd, args, options) => {
      calls.push({ cmd: cmd as string, args, headers: (options as { headers?: unknown } | undefined)?.headers });
      return inner(cmd, args, options);
    };
    await expect(sendPhoto(JPEG, 'teaching')).resolves.toBe('ok');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.cmd).toBe('capture_photo');
    expect(calls[0]!.args).toBeInstanceOf(Uint8Array);
    expect(Array.from(calls[0]!.args as Uint8Array)).toEqual(Array.from(JPEG));
    expect(calls[0]!.headers).toEqual({ [PURPOSE_HEADER]: 'teaching' });
  });

  it('turns a backend refusal into a WardcamError with its code', async () => {
    mockIPC(() => {
      throw { code: 'session.purpose_not_covered', message: 'Not covered.' };
    });
    await expect(sendPhoto(JPEG, 'research')).rejects.toMatchObject({ code: 'session.purpose_not_covered' });
  });
});
