// Wristband scanning with the phone's camera through the official barcode-scanner plugin (mobile
// builds only; desktop shows manual entry and a field for keyboard-wedge scanners instead).
import { Format, checkPermissions, requestPermissions, scan } from '@tauri-apps/plugin-barcode-scanner';
import { WardcamError } from '../ipc';

/** NHS bands carry a GS1 DataMatrix; some trusts print Code 128 or QR bands. */
const FORMATS = [Format.DataMatrix, Format.Code128, Format.QRCode];

/** Reads one wristband; null if the clinician cancelled the scan. */
export async function scanWristband(): Promise<string | null> {
  let permission = await checkPermissions();
  if (permission !== 'granted') permission = await requestPermissions();
  if (permission !== 'granted') {
    throw new WardcamError(
      'patient.scanner_permission',
      'WardCam needs the camera to scan wristbands. Allow camera access in Settings, or type the NHS number.',
    );
  }
  try {
    const result = await scan({ formats: FORMATS, windowed: false });
    return result.content;
  } catch (e) {
    // The plugin rejects with a plain string when the scan is cancelled.
    if (typeof e === 'string' && /cancel/i.test(e)) return null;
    throw e;
  }
}
