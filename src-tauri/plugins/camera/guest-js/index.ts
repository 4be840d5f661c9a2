// WardCam's in-app camera, as the WebView sees it: preview controls only. There is no `capture`
// here on purpose: the app's Rust code takes the photo, so its bytes never reach JavaScript.
import {
  invoke,
  checkPermissions as checkPermissions_,
  requestPermissions as requestPermissions_,
} from '@tauri-apps/api/core';

export type { PermissionState } from '@tauri-apps/api/core';
import type { PermissionState } from '@tauri-apps/api/core';

/** Which camera the preview shows. */
export enum Facing {
  Back = 'back',
  Front = 'front',
}

/** Flash behaviour for the next photo. */
export enum FlashMode {
  Off = 'off',
  On = 'on',
  Auto = 'auto',
}

export interface PreviewOptions {
  facing?: Facing;
}

/**
 * The codes Kotlin and Swift reject with towards Rust, which maps each to a dotted `camera.*` code;
 * the same list as `NativeErrorCode` in src/error.rs. The WebView never sees these names.
 */
export type NativeErrorCode =
  | 'permissionDenied'
  | 'noCamera'
  | 'previewNotOpen'
  | 'busy'
  | 'captureFailed'
  | 'usageDescriptionMissing'
  | 'torchUnavailable';

/**
 * What a failed command rejects with: `code` is a dotted `camera.*` code, also from the two
 * permission commands, which Tauri hands straight to Kotlin/Swift (they answer with the dotted code).
 */
export interface CameraError {
  code: string;
  message: string;
}

/**
 * Opens the live preview behind the WebView. Make the page background transparent where the
 * preview should show through.
 */
export async function openPreview(options?: PreviewOptions): Promise<void> {
  await invoke('plugin:wardcam-camera|open_preview', { options: options ?? {} });
}

/** Stops the camera and removes the preview. */
export async function closePreview(): Promise<void> {
  await invoke('plugin:wardcam-camera|close_preview');
}

/** Turns the torch on or off (rejects with `camera.torch_unavailable` if there is none). */
export async function setTorch(on: boolean): Promise<void> {
  await invoke('plugin:wardcam-camera|set_torch', { on });
}

/** Sets the flash mode for later photos. */
export async function setFlash(mode: FlashMode): Promise<void> {
  await invoke('plugin:wardcam-camera|set_flash', { mode });
}

/**
 * Focuses and meters at a tapped point, given as fractions (0 to 1) of the preview's width and
 * height from its top-left corner.
 */
export async function focusAt(x: number, y: number): Promise<void> {
  await invoke('plugin:wardcam-camera|focus_at', { x, y });
}

/** The camera permission's state. */
export async function checkPermissions(): Promise<PermissionState> {
  return await checkPermissions_<{ camera: PermissionState }>('wardcam-camera').then((r) => r.camera);
}

/**
 * Asks for the camera permission (shows the OS prompt when it still can). On iOS it rejects with
 * `camera.usage_description_missing` if the build lacks `NSCameraUsageDescription`.
 */
export async function requestPermissions(): Promise<PermissionState> {
  return await requestPermissions_<{ camera: PermissionState }>('wardcam-camera').then((r) => r.camera);
}
