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

/** The codes this side rejects with; the same list as NativeErrorCode in src/models.rs. */
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
    private var provider: ProcessCameraProvider? = null
    private var webViewBackground: Drawable? = null
    private var flashMode = ImageCapture.FLASH_MODE_OFF
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
                        .build()
                    val selector = if (args.facing == "front") CameraSelector.DEFAULT_FRONT_CAMERA
                    else CameraSelector.DEFAULT_BACK_CAMERA
                    provider.unbindAll()
                    camera = provider.bindToLifecycle(activity as LifecycleOwner, selector, preview, capture)
                    imageCapture = capture
                    this.provider = provider
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

    /** Unbinds the camera and puts the WebView back as it was. Main thread only. */
    private fun teardown() {
        provider?.unbindAll()
        previewView?.let { (webView.parent as? ViewGroup)?.removeView(it) }
        if (previewView != null) {
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
     * every plugin command against the ACL). Resolves `{ jpegBase64, width, height }`.
     */
    @Command
    fun capture(invoke: Invoke) {
        val args = invoke.parseArgs(CaptureArgs::class.java)
        val capture = imageCapture ?: return invoke.reject("Preview is not open", ErrorCode.PREVIEW_NOT_OPEN)
        if (!capturing.compareAndSet(false, true)) return invoke.reject("Capture in progress", ErrorCode.BUSY)
        args.flash?.let { capture.flashMode = flashFrom(it) }
        capture.takePicture(encoder, object : ImageCapture.OnImageCapturedCallback() {
            override fun onCaptureSuccess(image: ImageProxy) {
                try {
                    // ImageCapture's in-memory output is a single-plane JPEG.
                    val buffer = image.planes[0].buffer
                    val bytes = ByteArray(buffer.remaining())
                    buffer.get(bytes)
                    val result = JSObject()
                    result.put("jpegBase64", Base64.encodeToString(bytes, Base64.NO_WRAP))
                    result.put("width", image.width)
                    result.put("height", image.height)
                    bytes.fill(0)
                    invoke.resolve(result)
                } catch (e: Exception) {
                    invoke.reject("Could not read the photo: ${e.message}", ErrorCode.CAPTURE_FAILED)
                } finally {
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
