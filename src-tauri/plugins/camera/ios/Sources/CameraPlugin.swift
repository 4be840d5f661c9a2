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

/// The codes this side rejects with; the same list as NativeErrorCode in src/models.rs.
enum ErrorCode: String {
  case permissionDenied
  case noCamera
  case previewNotOpen
  case busy
  case captureFailed
  case usageDescriptionMissing
  case torchUnavailable
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
  var device: AVCaptureDevice?
  var previewView: UIView?
  var previewLayer: AVCaptureVideoPreviewLayer?
  var previousBackground: UIColor?
  var flashMode: AVCaptureDevice.FlashMode = .off
  var pendingCapture: Invoke?

  public override func load(webview: WKWebView) {
    self.webView = webview
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
      return reject(invoke, "NSCameraUsageDescription missing", .usageDescriptionMissing)
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
      DispatchQueue.main.async {
        self.device = device
        self.showPreview()
        invoke.resolve()
      }
    }
  }

  /// Puts the preview layer behind the WebView and makes the WebView transparent.
  private func showPreview() {
    guard previewView == nil else { return }
    let view = UIView(frame: webView.bounds)
    view.autoresizingMask = [.flexibleWidth, .flexibleHeight]
    let layer = AVCaptureVideoPreviewLayer(session: session)
    layer.videoGravity = .resizeAspectFill
    layer.frame = view.bounds
    view.layer.addSublayer(layer)
    webView.superview?.insertSubview(view, belowSubview: webView)
    previousBackground = webView.backgroundColor
    webView.isOpaque = false
    webView.backgroundColor = .clear
    webView.scrollView.backgroundColor = .clear
    previewView = view
    previewLayer = layer
  }

  @objc func closePreview(_ invoke: Invoke) {
    sessionQueue.async {
      self.session.stopRunning()
      DispatchQueue.main.async {
        self.previewView?.removeFromSuperview()
        if self.previewView != nil {
          self.webView.isOpaque = true
          self.webView.backgroundColor = self.previousBackground
          self.webView.scrollView.backgroundColor = self.previousBackground
        }
        self.previewView = nil
        self.previewLayer = nil
        self.device = nil
        invoke.resolve()
      }
    }
  }

  @objc func setTorch(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(TorchArgs.self)
    guard let device = device else { return reject(invoke, "Preview is not open", .previewNotOpen) }
    guard device.hasTorch else { return reject(invoke, "No torch", .torchUnavailable) }
    do {
      try device.lockForConfiguration()
      device.torchMode = args.on ? .on : .off
      device.unlockForConfiguration()
      invoke.resolve()
    } catch {
      reject(invoke, "Torch could not be set", .torchUnavailable)
    }
  }

  @objc func setFlash(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(FlashArgs.self)
    flashMode = flash(args.mode) ?? .off
    invoke.resolve()
  }

  @objc func focusAt(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(FocusArgs.self)
    DispatchQueue.main.async {
      guard let device = self.device, let layer = self.previewLayer else {
        return self.reject(invoke, "Preview is not open", .previewNotOpen)
      }
      let point = layer.captureDevicePointConverted(
        fromLayerPoint: CGPoint(x: args.x * layer.bounds.width, y: args.y * layer.bounds.height))
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
        self.reject(invoke, "Focus could not be set", .captureFailed)
      }
    }
  }

  /// Rust-only: no permission exists for this command, so the WebView cannot call it (Tauri checks
  /// every plugin command against the ACL). Resolves `{ jpegBase64, width, height }`.
  @objc func capture(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(CaptureArgs.self)
    guard device != nil, session.isRunning else {
      return reject(invoke, "Preview is not open", .previewNotOpen)
    }
    guard pendingCapture == nil else { return reject(invoke, "Capture in progress", .busy) }
    let settings = AVCapturePhotoSettings(format: [AVVideoCodecKey: AVVideoCodecType.jpeg])
    let mode = flash(args.flash) ?? flashMode
    if photoOutput.supportedFlashModes.contains(mode) {
      settings.flashMode = mode
    }
    pendingCapture = invoke
    photoOutput.capturePhoto(with: settings, delegate: self)
  }

  func photoOutput(
    _ output: AVCapturePhotoOutput, didFinishProcessingPhoto photo: AVCapturePhoto, error: Error?
  ) {
    guard let invoke = pendingCapture else { return }
    pendingCapture = nil
    if let error = error {
      return reject(invoke, "Capture failed: \(error.localizedDescription)", .captureFailed)
    }
    guard var data = photo.fileDataRepresentation() else {
      return reject(invoke, "The camera returned no image", .captureFailed)
    }
    let size = photo.resolvedSettings.photoDimensions
    invoke.resolve([
      "jpegBase64": data.base64EncodedString(),
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
