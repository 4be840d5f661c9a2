// WardCam camera plugin, Android half. NEVER COMPILED on the development machines (no Android
// SDK there): written against CameraX 1.3 and Tauri 2's Android plugin API; see ../../../../README.md.
//
// The photo stays in memory: ImageCapture's OnImageCapturedCallback hands over an ImageProxy whose
// JPEG bytes are base64-encoded into the plugin response (Tauri's mobile bridge carries JSON only)
// and read by Rust. Never ACTION_IMAGE_CAPTURE, OutputFileOptions, MediaStore, a FileProvider or
// the cache folder.

package org.wardcam.camera

import android.Manifest
import android.app.Activity
import android.content.pm.PackageManager
import android.graphics.Color
import android.graphics.drawable.Drawable
import android.util.Base64
import android.util.Size
import android.view.OrientationEventListener
import android.view.Surface
import android.view.ViewGroup
import android.webkit.WebView
import android.widget.FrameLayout
import androidx.camera.core.Camera
import androidx.camera.core.CameraSelector
import androidx.camera.core.FocusMeteringAction
import androidx.camera.core.ImageCapture
import androidx.camera.core.ImageCaptureException
import androidx.camera.core.ImageProxy
import androidx.camera.core.Preview
import androidx.camera.core.UseCase
import androidx.camera.core.resolutionselector.ResolutionSelector
import androidx.camera.core.resolutionselector.ResolutionStrategy
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.core.content.ContextCompat
import androidx.lifecycle.LifecycleOwner
import app.tauri.PermissionState
import app.tauri.annotation.Command
import app.tauri.annotation.InvokeArg
import app.tauri.annotation.Permission
import app.tauri.annotation.TauriPlugin
import app.tauri.plugin.Invoke
import app.tauri.plugin.JSObject
import app.tauri.plugin.Plugin
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicBoolean

/** The codes this side rejects with; the same list as NativeErrorCode in src/error.rs (Rust maps
 *  them to dotted `camera.*` codes). The permission commands are Tauri's base-class ones, which
 *  resolve a state and never reject with these. */
private object ErrorCode {
    const val PERMISSION_DENIED = "permissionDenied"
    const val NO_CAMERA = "noCamera"
    const val PREVIEW_NOT_OPEN = "previewNotOpen"
    const val BUSY = "busy"
    const val CAPTURE_FAILED = "captureFailed"
    const val USAGE_DESCRIPTION_MISSING = "usageDescriptionMissing" // iOS only; listed for parity
    const val TORCH_UNAVAILABLE = "torchUnavailable"
}

private const val CAMERA = "camera"

/** About 12 MP (4000 x 3000): enough for clinical photos, and a capture's JPEG and its base64 copy stay
 *  well inside the heap (a 50 MP sensor's would not). CameraX picks the closest size at or below. */
private val MAX_CAPTURE_SIZE = Size(4000, 3000)

@InvokeArg
class PreviewArgs {
    var facing: String = "back"
}

@InvokeArg
class TorchArgs {
    var on: Boolean = false
}

@InvokeArg
class FlashArgs {
    var mode: String = "off"
}

@InvokeArg
class FocusArgs {
    // Fractions of the preview (0..1); Rust has checked the range.
    var x: Double = 0.5
    var y: Double = 0.5
}

@InvokeArg
class CaptureArgs {
    var flash: String? = null
}

@TauriPlugin(permissions = [Permission(strings = [Manifest.permission.CAMERA], alias = CAMERA)])
class CameraPlugin(private val activity: Activity) : Plugin(activity) {
    private lateinit var webView: WebView
    private var previewView: PreviewView? = null
    private var camera: Camera? = null
    private var imageCapture: ImageCapture? = null
    // Our own use cases, so teardown unbinds only them: unbindAll() would also stop the barcode
    // scanner's CameraX use cases (which share the process-wide ProcessCameraProvider).
    private var boundUseCases: Array<UseCase> = emptyArray()
    private var provider: ProcessCameraProvider? = null
    private var webViewBackground: Drawable? = null
    private var flashMode = ImageCapture.FLASH_MODE_OFF
    // Follows how the phone is held while the preview is open (main thread). ImageCapture's target
    // rotation would otherwise stay what the display's was when the use case was built, and a
    // portrait-locked app's display never turns.
    private var orientationListener: OrientationEventListener? = null
    private val capturing = AtomicBoolean(false)
    // Encoding runs off the main thread; the ImageProxy buffer is read there and released.
    private val encoder = Executors.newSingleThreadExecutor()

    override fun load(webView: WebView) {
        super.load(webView)
        this.webView = webView
    }

    private fun hasCamera(): Boolean =
        activity.packageManager.hasSystemFeature(PackageManager.FEATURE_CAMERA_ANY)

    private fun flashFrom(mode: String?): Int = when (mode) {
        "on" -> ImageCapture.FLASH_MODE_ON
        "auto" -> ImageCapture.FLASH_MODE_AUTO
        else -> ImageCapture.FLASH_MODE_OFF
    }

    @Command
    fun openPreview(invoke: Invoke) {
        val args = invoke.parseArgs(PreviewArgs::class.java)
        if (!hasCamera()) return invoke.reject("No camera on this device", ErrorCode.NO_CAMERA)
        if (getPermissionState(CAMERA) != PermissionState.GRANTED) {
            return invoke.reject("Camera permission not granted", ErrorCode.PERMISSION_DENIED)
        }
        activity.runOnUiThread {
            teardown()
            // The preview sits behind the WebView, which turns transparent (as barcode-scanner does).
            val view = PreviewView(activity).apply {
                layoutParams = FrameLayout.LayoutParams(
                    ViewGroup.LayoutParams.MATCH_PARENT, ViewGroup.LayoutParams.MATCH_PARENT
                )
                // A TextureView: the preview is drawn into the window's own surface, which the
                // app's FLAG_SECURE keeps out of screenshots, recordings and the app switcher.
                // (PERFORMANCE would use a SurfaceView, a separate surface.)
                implementationMode = PreviewView.ImplementationMode.COMPATIBLE
            }
            (webView.parent as ViewGroup).addView(view, 0)
            webViewBackground = webView.background
            webView.setBackgroundColor(Color.TRANSPARENT)
            previewView = view

            val future = ProcessCameraProvider.getInstance(activity)
            future.addListener({
                try {
                    val provider = future.get()
                    val preview = Preview.Builder().build().also { it.setSurfaceProvider(view.surfaceProvider) }
                    val capture = ImageCapture.Builder()
                        .setCaptureMode(ImageCapture.CAPTURE_MODE_MAXIMIZE_QUALITY)
                        .setFlashMode(flashMode)
                        // Fixed when the preview opens: CameraX has no per-photo quality setting.
                        .setJpegQuality(95)
                        .setResolutionSelector(
                            ResolutionSelector.Builder()
                                .setResolutionStrategy(
                                    ResolutionStrategy(
                                        MAX_CAPTURE_SIZE,
                                        ResolutionStrategy.FALLBACK_RULE_CLOSEST_LOWER_THEN_HIGHER
                                    )
                                )
                                .build()
                        )
                        .build()
                    val selector = if (args.facing == "front") CameraSelector.DEFAULT_FRONT_CAMERA
                    else CameraSelector.DEFAULT_BACK_CAMERA
                    // teardown() above has unbound our previous use cases; nobody else's are touched.
                    camera = provider.bindToLifecycle(activity as LifecycleOwner, selector, preview, capture)
                    boundUseCases = arrayOf(preview, capture)
                    imageCapture = capture
                    this.provider = provider
                    followOrientation(capture)
                    invoke.resolve()
                } catch (e: Exception) {
                    teardown()
                    invoke.reject("Camera could not start: ${e.message}", ErrorCode.NO_CAMERA)
                }
            }, ContextCompat.getMainExecutor(activity))
        }
    }

    @Command
    fun closePreview(invoke: Invoke) {
        activity.runOnUiThread {
            teardown()
            invoke.resolve()
        }
    }

    /**
     * Sets the capture's target rotation from the device's physical orientation (CameraX's
     * documented OrientationEventListener pattern). CameraX then writes the matching EXIF
     * Orientation into the JPEG and reports it as `ImageInfo.rotationDegrees`. Face up/down
     * reports ORIENTATION_UNKNOWN and keeps the last rotation: a photo taken looking straight
     * down at a wound keeps the way the phone was held while it was tilted into place.
     */
    private fun followOrientation(capture: ImageCapture) {
        orientationListener?.disable()
        orientationListener = object : OrientationEventListener(activity) {
            override fun onOrientationChanged(orientation: Int) {
                if (orientation == OrientationEventListener.ORIENTATION_UNKNOWN) return
                capture.targetRotation = when (orientation) {
                    in 45 until 135 -> Surface.ROTATION_270
                    in 135 until 225 -> Surface.ROTATION_180
                    in 225 until 315 -> Surface.ROTATION_90
                    else -> Surface.ROTATION_0
                }
            }
        }.also { if (it.canDetectOrientation()) it.enable() }
    }

    /** Unbinds the camera and puts the WebView back as it was. Main thread only. */
    private fun teardown() {
        orientationListener?.disable()
        orientationListener = null
        if (boundUseCases.isNotEmpty()) provider?.unbind(*boundUseCases)
        boundUseCases = emptyArray()
        previewView?.let { (webView.parent as? ViewGroup)?.removeView(it) }
        if (previewView != null) {
            // setBackgroundColor(TRANSPARENT) changed the WebView's own background colour, which
            // restoring the View background drawable does not undo: put WebView's default back.
            webView.setBackgroundColor(Color.WHITE)
            webView.background = webViewBackground
            webViewBackground = null
        }
        previewView = null
        camera = null
        imageCapture = null
        provider = null
    }

    @Command
    fun setTorch(invoke: Invoke) {
        val args = invoke.parseArgs(TorchArgs::class.java)
        val cam = camera ?: return invoke.reject("Preview is not open", ErrorCode.PREVIEW_NOT_OPEN)
        if (!cam.cameraInfo.hasFlashUnit()) return invoke.reject("No torch", ErrorCode.TORCH_UNAVAILABLE)
        cam.cameraControl.enableTorch(args.on)
        invoke.resolve()
    }

    @Command
    fun setFlash(invoke: Invoke) {
        val args = invoke.parseArgs(FlashArgs::class.java)
        flashMode = flashFrom(args.mode)
        imageCapture?.flashMode = flashMode
        invoke.resolve()
    }

    @Command
    fun focusAt(invoke: Invoke) {
        val args = invoke.parseArgs(FocusArgs::class.java)
        activity.runOnUiThread {
            val cam = camera
            val view = previewView
            if (cam == null || view == null) {
                invoke.reject("Preview is not open", ErrorCode.PREVIEW_NOT_OPEN)
                return@runOnUiThread
            }
            val point = view.meteringPointFactory.createPoint(
                (args.x * view.width).toFloat(), (args.y * view.height).toFloat()
            )
            val action = FocusMeteringAction.Builder(
                point, FocusMeteringAction.FLAG_AF or FocusMeteringAction.FLAG_AE
            ).setAutoCancelDuration(5, TimeUnit.SECONDS).build()
            cam.cameraControl.startFocusAndMetering(action)
            invoke.resolve()
        }
    }

    /**
     * Rust-only: no permission exists for this command, so the WebView cannot call it (Tauri checks
     * every plugin command against the ACL). Resolves `{ jpegBase64, width, height,
     * rotationDegrees }`, the JPEG in URL-safe base64.
     */
    @Command
    fun capture(invoke: Invoke) {
        val args = invoke.parseArgs(CaptureArgs::class.java)
        val capture = imageCapture ?: return invoke.reject("Preview is not open", ErrorCode.PREVIEW_NOT_OPEN)
        if (!capturing.compareAndSet(false, true)) return invoke.reject("Capture in progress", ErrorCode.BUSY)
        args.flash?.let { capture.flashMode = flashFrom(it) }
        capture.takePicture(encoder, object : ImageCapture.OnImageCapturedCallback() {
            override fun onCaptureSuccess(image: ImageProxy) {
                var bytes: ByteArray? = null
                try {
                    // ImageCapture's in-memory output is a single-plane JPEG.
                    val buffer = image.planes[0].buffer
                    bytes = ByteArray(buffer.remaining())
                    buffer.get(bytes)
                    val result = JSObject()
                    // URL-safe alphabet: org.json escapes every "/" as "\/"; "-" and "_" pass
                    // through. Padding is kept; Rust accepts it either way.
                    result.put("jpegBase64", Base64.encodeToString(bytes, Base64.URL_SAFE or Base64.NO_WRAP))
                    result.put("width", image.width)
                    result.put("height", image.height)
                    // What the JPEG's EXIF Orientation says (CameraX: "for JPEG this value will
                    // match the rotation defined in the EXIF"); the app reads the EXIF itself.
                    result.put("rotationDegrees", image.imageInfo.rotationDegrees)
                    invoke.resolve(result)
                } catch (e: Throwable) {
                    // Throwable, not Exception: an OutOfMemoryError while copying or encoding must
                    // still settle the call (and free the buffers) rather than kill the app.
                    invoke.reject("Could not read the photo: ${e.javaClass.simpleName}", ErrorCode.CAPTURE_FAILED)
                } finally {
                    bytes?.fill(0)
                    image.close()
                    capture.flashMode = flashMode
                    capturing.set(false)
                }
            }

            override fun onError(exception: ImageCaptureException) {
                capture.flashMode = flashMode
                capturing.set(false)
                invoke.reject("Capture failed (${exception.imageCaptureError})", ErrorCode.CAPTURE_FAILED)
            }
        })
    }
}
