// WardCam camera plugin, iOS half. NEVER COMPILED on the development machines (no Xcode there):
// written against AVFoundation and Tauri 2's iOS plugin API; see ../../README.md.
//
// The photo stays in memory: AVCapturePhotoOutput's fileDataRepresentation() is base64-encoded into
// the plugin response (Tauri's mobile bridge carries JSON only) and read by Rust. Never
// UIImagePickerController, PHPhotoLibrary, a temporary file or the caches directory.

import AVFoundation
import Tauri
import UIKit
import WebKit

/// The codes this side rejects with towards Rust, which maps them to dotted `camera.*` codes; the
/// same list as NativeErrorCode in src/error.rs. The permission commands use `dotted` instead.
enum ErrorCode: String {
  case permissionDenied
  case noCamera
  case previewNotOpen
  case busy
  case captureFailed
  case usageDescriptionMissing
  case torchUnavailable

  /// The dotted code the UI knows (Rust's `Error::code()` for this native code). Tauri routes the
  /// permission commands straight to this class (they have no Rust handler), so they answer the
  /// WebView directly and reject with this, as guest-js promises, not with the camelCase name.
  var dotted: String {
    switch self {
    case .permissionDenied: return "camera.permission_denied"
    case .noCamera: return "camera.no_camera"
    case .previewNotOpen: return "camera.preview_not_open"
    case .busy: return "camera.busy"
    case .captureFailed: return "camera.capture_failed"
    case .usageDescriptionMissing: return "camera.usage_description_missing"
    case .torchUnavailable: return "camera.torch_unavailable"
    }
  }
}

/// The live preview: a view whose layer is sized from its bounds on every layout pass (rotation,
/// split view, safe-area changes), so the preview layer always fills it in its own coordinates.
final class CameraPreviewView: UIView {
  let previewLayer: AVCaptureVideoPreviewLayer

  init(session: AVCaptureSession) {
    previewLayer = AVCaptureVideoPreviewLayer(session: session)
    previewLayer.videoGravity = .resizeAspectFill
    super.init(frame: .zero)
    layer.addSublayer(previewLayer)
  }

  required init?(coder: NSCoder) {
    return nil
  }

  override func layoutSubviews() {
    super.layoutSubviews()
    // No implicit animation: the layer follows the view at once.
    CATransaction.begin()
    CATransaction.setDisableActions(true)
    previewLayer.frame = bounds
    CATransaction.commit()
  }
}

/// The photo connection's rotation for the way the device is held, as a video rotation angle
/// (0 = landscape with the home button on the right, 90 = portrait, 180 = landscape with the home
/// button on the left, 270 = upside down). `nil` for face up, face down and unknown: the caller
/// keeps the last angle seen, so a photo taken looking straight down at a wound keeps the
/// orientation the phone had while it was being tilted into place.
private func rotationAngle(for orientation: UIDeviceOrientation) -> CGFloat? {
  switch orientation {
  case .portrait: return 90
  case .landscapeLeft: return 0  // home button on the right: video .landscapeRight
  case .landscapeRight: return 180  // home button on the left: video .landscapeLeft
  case .portraitUpsideDown: return 270
  default: return nil
  }
}

struct PreviewArgs: Decodable {
  let facing: String?
}

struct TorchArgs: Decodable {
  let on: Bool
}

struct FlashArgs: Decodable {
  let mode: String
}

struct FocusArgs: Decodable {
  // Fractions of the preview (0...1); Rust has checked the range.
  let x: Double
  let y: Double
}

struct CaptureArgs: Decodable {
  let flash: String?
}

class CameraPlugin: Plugin, AVCapturePhotoCaptureDelegate {
  var webView: WKWebView!
  let session = AVCaptureSession()
  let photoOutput = AVCapturePhotoOutput()
  let sessionQueue = DispatchQueue(label: "org.wardcam.camera.session")
  // Main thread only (UIKit).
  var previewView: CameraPreviewView?
  var previousBackground: UIColor?
  var orientationObserver: NSObjectProtocol?
  // device, flashMode, captureAngle and pendingCapture are touched only on sessionQueue (IPC calls
  // arrive on the main queue, the photo delegate on one of AVFoundation's).
  var device: AVCaptureDevice?
  var flashMode: AVCaptureDevice.FlashMode = .off
  var captureAngle: CGFloat = 90
  var pendingCapture: Invoke?

  public override func load(webview: WKWebView) {
    self.webView = webview
    // The app switcher's snapshot is taken after willResignActive: hide the live preview before
    // it (the WebView above it is transparent where the preview shows through).
    let center = NotificationCenter.default
    center.addObserver(
      self, selector: #selector(coverPreview),
      name: UIApplication.willResignActiveNotification, object: nil)
    center.addObserver(
      self, selector: #selector(uncoverPreview),
      name: UIApplication.didBecomeActiveNotification, object: nil)
  }

  @objc func coverPreview() {
    previewView?.isHidden = true
  }

  @objc func uncoverPreview() {
    previewView?.isHidden = false
  }

  private func reject(_ invoke: Invoke, _ message: String, _ code: ErrorCode) {
    invoke.reject(message, code: code.rawValue)
  }

  /// Without NSCameraUsageDescription iOS kills the app on first camera use; refuse instead.
  private func hasUsageDescription() -> Bool {
    return Bundle.main.infoDictionary?["NSCameraUsageDescription"] is String
  }

  private func permissionState() -> String {
    switch AVCaptureDevice.authorizationStatus(for: .video) {
    case .authorized: return "granted"
    case .notDetermined: return "prompt"
    default: return "denied"
    }
  }

  private func flash(_ mode: String?) -> AVCaptureDevice.FlashMode? {
    switch mode {
    case "on": return .on
    case "auto": return .auto
    case "off": return .off
    default: return nil
    }
  }

  @objc override func checkPermissions(_ invoke: Invoke) {
    invoke.resolve(["camera": permissionState()])
  }

  @objc override func requestPermissions(_ invoke: Invoke) {
    guard hasUsageDescription() else {
      return invoke.reject(
        "NSCameraUsageDescription missing", code: ErrorCode.usageDescriptionMissing.dotted)
    }
    if AVCaptureDevice.authorizationStatus(for: .video) == .notDetermined {
      AVCaptureDevice.requestAccess(for: .video) { granted in
        invoke.resolve(["camera": granted ? "granted" : "denied"])
      }
    } else {
      invoke.resolve(["camera": permissionState()])
    }
  }

  @objc func openPreview(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(PreviewArgs.self)
    guard hasUsageDescription() else {
      return reject(invoke, "NSCameraUsageDescription missing", .usageDescriptionMissing)
    }
    guard AVCaptureDevice.authorizationStatus(for: .video) == .authorized else {
      return reject(invoke, "Camera permission not granted", .permissionDenied)
    }
    let position: AVCaptureDevice.Position = args.facing == "front" ? .front : .back
    guard
      let device = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: position),
      let input = try? AVCaptureDeviceInput(device: device)
    else {
      return reject(invoke, "No camera on this device", .noCamera)
    }
    sessionQueue.async {
      self.session.beginConfiguration()
      self.session.sessionPreset = .photo
      for old in self.session.inputs { self.session.removeInput(old) }
      if self.session.canAddInput(input) { self.session.addInput(input) }
      if !self.session.outputs.contains(self.photoOutput) && self.session.canAddOutput(self.photoOutput) {
        self.session.addOutput(self.photoOutput)
      }
      self.session.commitConfiguration()
      self.session.startRunning()
      self.device = device
      DispatchQueue.main.async {
        self.showPreview()
        invoke.resolve()
      }
    }
  }

  /// Puts the preview view behind the WebView (over the WebView's frame, in their common
  /// superview's coordinates), makes the WebView transparent and starts following the device
  /// orientation. Main thread.
  private func showPreview() {
    guard previewView == nil, let container = webView.superview else { return }
    let view = CameraPreviewView(session: session)
    view.frame = webView.frame
    view.autoresizingMask = [.flexibleWidth, .flexibleHeight]
    view.isHidden = UIApplication.shared.applicationState != .active
    container.insertSubview(view, belowSubview: webView)
    previousBackground = webView.backgroundColor
    webView.isOpaque = false
    webView.backgroundColor = .clear
    webView.scrollView.backgroundColor = .clear
    previewView = view

    UIDevice.current.beginGeneratingDeviceOrientationNotifications()
    let follow = { [weak self] in
      guard let self = self, let angle = rotationAngle(for: UIDevice.current.orientation) else {
        return
      }
      self.sessionQueue.async { self.captureAngle = angle }
    }
    follow()
    orientationObserver = NotificationCenter.default.addObserver(
      forName: UIDevice.orientationDidChangeNotification, object: nil, queue: .main
    ) { _ in follow() }
  }

  @objc func closePreview(_ invoke: Invoke) {
    sessionQueue.async {
      self.session.stopRunning()
      self.device = nil
      DispatchQueue.main.async {
        if let observer = self.orientationObserver {
          NotificationCenter.default.removeObserver(observer)
          UIDevice.current.endGeneratingDeviceOrientationNotifications()
          self.orientationObserver = nil
        }
        self.previewView?.removeFromSuperview()
        if self.previewView != nil {
          self.webView.isOpaque = true
          self.webView.backgroundColor = self.previousBackground
          self.webView.scrollView.backgroundColor = self.previousBackground
        }
        self.previewView = nil
        invoke.resolve()
      }
    }
  }

  @objc func setTorch(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(TorchArgs.self)
    sessionQueue.async {
      guard let device = self.device else {
        return self.reject(invoke, "Preview is not open", .previewNotOpen)
      }
      guard device.hasTorch else { return self.reject(invoke, "No torch", .torchUnavailable) }
      do {
        try device.lockForConfiguration()
        device.torchMode = args.on ? .on : .off
        device.unlockForConfiguration()
        invoke.resolve()
      } catch {
        self.reject(invoke, "Torch could not be set", .torchUnavailable)
      }
    }
  }

  @objc func setFlash(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(FlashArgs.self)
    let mode = flash(args.mode) ?? .off
    sessionQueue.async {
      self.flashMode = mode
      invoke.resolve()
    }
  }

  @objc func focusAt(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(FocusArgs.self)
    // The layer converts the tap on the main thread (UIKit); the device is configured on
    // sessionQueue, where it lives.
    DispatchQueue.main.async {
      guard let layer = self.previewView?.previewLayer else {
        return self.reject(invoke, "Preview is not open", .previewNotOpen)
      }
      let point = layer.captureDevicePointConverted(
        fromLayerPoint: CGPoint(x: args.x * layer.bounds.width, y: args.y * layer.bounds.height))
      self.sessionQueue.async { self.focus(invoke, at: point) }
    }
  }

  /// sessionQueue only.
  private func focus(_ invoke: Invoke, at point: CGPoint) {
    guard let device = device else {
      return reject(invoke, "Preview is not open", .previewNotOpen)
    }
    do {
      try device.lockForConfiguration()
      if device.isFocusPointOfInterestSupported && device.isFocusModeSupported(.autoFocus) {
        device.focusPointOfInterest = point
        device.focusMode = .autoFocus
      }
      if device.isExposurePointOfInterestSupported && device.isExposureModeSupported(.autoExpose) {
        device.exposurePointOfInterest = point
        device.exposureMode = .autoExpose
      }
      device.unlockForConfiguration()
      invoke.resolve()
    } catch {
      reject(invoke, "Focus could not be set", .captureFailed)
    }
  }

  /// Rust-only: no permission exists for this command, so the WebView cannot call it (Tauri checks
  /// every plugin command against the ACL). Resolves `{ jpegBase64, width, height }`, the JPEG in
  /// URL-safe base64 without padding.
  @objc func capture(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(CaptureArgs.self)
    sessionQueue.async {
      // capturePhoto raises an Objective-C exception (which Swift cannot catch) without an
      // active, enabled video connection: check it on the queue that configures the session.
      guard self.session.isRunning,
        let connection = self.photoOutput.connection(with: .video),
        connection.isEnabled, connection.isActive
      else {
        return self.reject(invoke, "Preview is not open", .previewNotOpen)
      }
      guard self.pendingCapture == nil else { return self.reject(invoke, "Capture in progress", .busy) }
      let settings = AVCapturePhotoSettings(format: [AVVideoCodecKey: AVVideoCodecType.jpeg])
      let mode = self.flash(args.flash) ?? self.flashMode
      if self.photoOutput.supportedFlashModes.contains(mode) {
        settings.flashMode = mode
      }
      // The way the phone is held now, so the JPEG's EXIF orientation is right (AVFoundation
      // writes it from the connection into fileDataRepresentation(); the pixels are not turned).
      self.orient(connection)
      self.pendingCapture = invoke
      self.photoOutput.capturePhoto(with: settings, delegate: self)
    }
  }

  /// Sets the photo connection's rotation from captureAngle. sessionQueue only.
  private func orient(_ connection: AVCaptureConnection) {
    if #available(iOS 17.0, *) {
      if connection.isVideoRotationAngleSupported(captureAngle) {
        connection.videoRotationAngle = captureAngle
      }
    } else if connection.isVideoOrientationSupported {
      switch captureAngle {
      case 0: connection.videoOrientation = .landscapeRight
      case 180: connection.videoOrientation = .landscapeLeft
      case 270: connection.videoOrientation = .portraitUpsideDown
      default: connection.videoOrientation = .portrait
      }
    }
  }

  func photoOutput(
    _ output: AVCapturePhotoOutput, didFinishProcessingPhoto photo: AVCapturePhoto, error: Error?
  ) {
    // The delegate is called on a queue of AVFoundation's: take the pending call on ours (async, so
    // this can never wait on a queue that is itself waiting for the capture).
    sessionQueue.async {
      guard let invoke = self.pendingCapture else { return }
      self.pendingCapture = nil
      self.finishCapture(invoke, photo, error)
    }
  }

  private func finishCapture(_ invoke: Invoke, _ photo: AVCapturePhoto, _ error: Error?) {
    if let error = error {
      return reject(invoke, "Capture failed: \(error.localizedDescription)", .captureFailed)
    }
    guard var data = photo.fileDataRepresentation() else {
      return reject(invoke, "The camera returned no image", .captureFailed)
    }
    let size = photo.resolvedSettings.photoDimensions
    // URL-safe alphabet without padding: JSONSerialization escapes every "/" as "\/", while "-"
    // and "_" pass through. Rust accepts it with or without padding. Rewritten in place in one
    // buffer (no extra copies of a multi-megabyte string), which is wiped below. No rotation is
    // reported: it is in the JPEG's EXIF, which is what the app reads.
    var encoded = data.base64EncodedData()
    var end = encoded.count
    while end > 0 && encoded[end - 1] == UInt8(ascii: "=") { end -= 1 }
    for i in 0..<end {
      if encoded[i] == UInt8(ascii: "+") {
        encoded[i] = UInt8(ascii: "-")
      } else if encoded[i] == UInt8(ascii: "/") {
        encoded[i] = UInt8(ascii: "_")
      }
    }
    let base64 = String(decoding: encoded.prefix(end), as: UTF8.self)
    encoded.resetBytes(in: 0..<encoded.count)
    invoke.resolve([
      "jpegBase64": base64,
      "width": Int(size.width),
      "height": Int(size.height),
    ])
    // Best effort: clears our copy; the encoded string is owned by the bridge from here.
    data.resetBytes(in: 0..<data.count)
  }
}

@_cdecl("init_plugin_wardcam_camera")
func initPlugin() -> Plugin {
  return CameraPlugin()
}
