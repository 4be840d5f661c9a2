// WardCam device plugin, iOS half. NEVER COMPILED on the development machines (no Xcode there):
// written against LocalAuthentication, Security (Keychain), UIAccessibility (Guided Access),
// BackgroundTasks and UIKit, and Tauri 2's iOS plugin API; see ../../README.md.
//
// Thin on purpose: every command answers a raw fact ("secure", "released", "cancelled", ...) and
// wardcam-core decides what it means (PasscodeStatus, ReleaseAction, KioskPinning). Besides the
// commands it covers the window while the app is not active (so the app-switcher snapshot is
// blank) and while the screen is being captured, and excludes Application Support from backup.

import BackgroundTasks
import Foundation
import LocalAuthentication
import Security
import Tauri
import UIKit
import WebKit

/// The event name; the same as BACKGROUND_WAKE in src/lib.rs.
let backgroundWake = "backgroundWake"
/// The BGProcessingTask identifier; build.rs lists it in BGTaskSchedulerPermittedIdentifiers.
let deliveryTaskId = "org.wardcam.app.delivery"
/// The Keychain service of the app lock's keys.
let keychainService = "org.wardcam.device"
/// How long a background wake waits for Rust's backgroundWakeDone (iOS may expire it sooner).
let wakeBudgetSeconds = 25.0
/// Where iOS managed app feedback lives: MDM reads this dictionary from the app's defaults.
let managedFeedbackKey = "com.apple.feedback.managed"

struct KeyArgs: Decodable {
  let alias: String
  var reason: String?
  var secret: String?
}

struct LockTaskArgs: Decodable {
  let enabled: Bool
}

struct PathArgs: Decodable {
  let path: String
}

struct DoneArgs: Decodable {
  let ok: Bool
}

/// Key names: the same rule as check_alias in src/answers.rs.
func aliasIsValid(_ alias: String) -> Bool {
  return alias.range(of: "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$", options: .regularExpression) != nil
}

/// URL-safe base64 both ways (JSONSerialization escapes "/" in the standard alphabet).
func base64UrlDecode(_ text: String) -> Data? {
  var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
  while s.count % 4 != 0 {
    s += "="
  }
  return Data(base64Encoded: s)
}

func base64UrlEncode(_ data: Data) -> String {
  return data.base64EncodedString()
    .replacingOccurrences(of: "+", with: "-")
    .replacingOccurrences(of: "/", with: "_")
    .replacingOccurrences(of: "=", with: "")
}

class DevicePlugin: Plugin {
  private var observers: [NSObjectProtocol] = []
  /// Shown over the window while the app is not active or the screen is captured.
  private var cover: UIView?
  private var resigned = false
  /// The background task being run, and whether it was finished (main queue only).
  private var wakeTask: BGTask?

  public override func load(webview: WKWebView) {
    excludeApplicationSupportFromBackup()
    let center = NotificationCenter.default
    observers.append(
      center.addObserver(
        forName: UIApplication.willResignActiveNotification, object: nil, queue: .main
      ) { [weak self] _ in
        self?.resigned = true
        self?.updateCover()
      })
    observers.append(
      center.addObserver(
        forName: UIApplication.didBecomeActiveNotification, object: nil, queue: .main
      ) { [weak self] _ in
        self?.resigned = false
        self?.updateCover()
      })
    observers.append(
      center.addObserver(
        forName: UIScreen.capturedDidChangeNotification, object: nil, queue: .main
      ) { [weak self] _ in
        self?.updateCover()
      })
    observers.append(
      center.addObserver(
        forName: UIApplication.didEnterBackgroundNotification, object: nil, queue: .main
      ) { _ in
        DevicePlugin.scheduleDelivery()
      })
    DispatchQueue.main.async { [weak self] in
      self?.updateCover()
    }
  }

  deinit {
    for observer in observers {
      NotificationCenter.default.removeObserver(observer)
    }
  }

  private func answer(_ invoke: Invoke, _ word: String) {
    invoke.resolve(["answer": word])
  }

  // MARK: The app-switcher cover and screen capture

  /// Covers the whole window while the app is not active (the switcher snapshot is taken after
  /// willResignActive) or while the screen is recorded, mirrored or cast. Main queue only.
  private func updateCover() {
    let hide = resigned || UIScreen.main.isCaptured
    guard let window = keyWindow() else { return }
    if hide {
      if cover == nil {
        let view = UIView(frame: window.bounds)
        view.autoresizingMask = [.flexibleWidth, .flexibleHeight]
        view.backgroundColor = .systemBackground
        cover = view
      }
      if let view = cover, view.superview !== window {
        view.frame = window.bounds
        window.addSubview(view)
      }
      if let view = cover {
        window.bringSubviewToFront(view)
      }
    } else {
      cover?.removeFromSuperview()
    }
  }

  private func keyWindow() -> UIWindow? {
    if #available(iOS 15.0, *) {
      return UIApplication.shared.connectedScenes
        .compactMap { $0 as? UIWindowScene }
        .flatMap { $0.windows }
        .first { $0.isKeyWindow }
    }
    return UIApplication.shared.windows.first { $0.isKeyWindow }
  }

  // MARK: Backup exclusion

  private func excludeApplicationSupportFromBackup() {
    let fm = FileManager.default
    guard let dir = fm.urls(for: .applicationSupportDirectory, in: .userDomainMask).first else {
      return
    }
    try? fm.createDirectory(at: dir, withIntermediateDirectories: true)
    _ = exclude(dir)
  }

  private func exclude(_ url: URL) -> Bool {
    var target = url
    var values = URLResourceValues()
    values.isExcludedFromBackup = true
    do {
      try target.setResourceValues(values)
      return true
    } catch {
      return false
    }
  }

  /// Excludes a folder (the vault's) from iCloud backup and device transfer; resolves
  /// `{ "answer": "stored" }`, or rejects when the flag could not be set.
  @objc public func excludeFromBackup(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(PathArgs.self)
    let url = URL(fileURLWithPath: args.path, isDirectory: true)
    if exclude(url) {
      answer(invoke, "stored")
    } else {
      invoke.reject("the folder could not be excluded from backup")
    }
  }

  /// Creates a folder (the outbound store's, the audit log's) whose new files a locked phone can
  /// read once it has been unlocked since it started (`completeUntilFirstUserAuthentication`),
  /// where the app's default class (Complete) would leave a background wake unable to read them.
  /// Everything written there is sealed by wardcam-core. Resolves `{ "answer": "stored" }`, or
  /// rejects when the class could not be set.
  @objc public func protectUntilFirstUnlock(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(PathArgs.self)
    let manager = FileManager.default
    do {
      try manager.createDirectory(
        atPath: args.path, withIntermediateDirectories: true,
        attributes: [.protectionKey: FileProtectionType.completeUntilFirstUserAuthentication])
      try manager.setAttributes(
        [.protectionKey: FileProtectionType.completeUntilFirstUserAuthentication],
        ofItemAtPath: args.path)
      answer(invoke, "stored")
    } catch {
      invoke.reject("the folder's file protection could not be set")
    }
  }

  // MARK: Managed feedback

  /// Writes the device status (wardcam-core's DeviceStatus::feedback: counts, times, versions
  /// and hashes, no patient data; keys in docs/provisioning.md) into managed app feedback,
  /// merged over what is there: keys reported only while unlocked keep their last values, and
  /// other keys are left alone. Only strings, numbers and booleans are taken. Resolves
  /// `{ "answer": "stored" }`.
  @objc public func reportStatus(_ invoke: Invoke) throws {
    let args = try invoke.getArgs()
    guard let values = args.getObject("values") else {
      invoke.reject("no status values")
      return
    }
    let defaults = UserDefaults.standard
    var feedback = defaults.dictionary(forKey: managedFeedbackKey) ?? [:]
    for (key, value) in values {
      if let text = value as? String {
        feedback[key] = text
      } else if let number = value as? NSNumber {
        feedback[key] = number
      }
    }
    defaults.set(feedback, forKey: managedFeedbackKey)
    answer(invoke, "stored")
  }

  // MARK: The passcode gate

  /// Resolves `{ "deviceSecure": true|false|null, "complexity": null }` (iOS does not tell apps
  /// the passcode's complexity).
  @objc public func lockScreen(_ invoke: Invoke) {
    let context = LAContext()
    var error: NSError?
    let secure = context.canEvaluatePolicy(.deviceOwnerAuthentication, error: &error)
    var deviceSecure: Any = NSNull()
    if secure {
      deviceSecure = true
    } else if let code = error?.code, code == LAError.passcodeNotSet.rawValue {
      deviceSecure = false
    }
    invoke.resolve(["deviceSecure": deviceSecure, "complexity": NSNull()])
  }

  // MARK: The app lock's key

  private func keyQuery(_ alias: String) -> [String: Any] {
    return [
      kSecClass as String: kSecClassGenericPassword,
      kSecAttrService as String: keychainService,
      kSecAttrAccount as String: alias,
    ]
  }

  /// Keeps the 32-byte secret in a Keychain item only this device can read, only while a
  /// passcode is set, and only after the user authenticates (`.userPresence`: biometrics or the
  /// passcode). Resolves `{ "answer": "stored" | "unavailable" }`.
  @objc public func storeKey(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(KeyArgs.self)
    guard aliasIsValid(args.alias), var secret = args.secret.flatMap(base64UrlDecode) else {
      invoke.reject("bad key name or key")
      return
    }
    defer { secret.resetBytes(in: 0..<secret.count) }
    var error: Unmanaged<CFError>?
    guard
      let access = SecAccessControlCreateWithFlags(
        nil, kSecAttrAccessibleWhenPasscodeSetThisDeviceOnly, .userPresence, &error)
    else {
      answer(invoke, "unavailable")
      return
    }
    SecItemDelete(keyQuery(args.alias) as CFDictionary)
    var add = keyQuery(args.alias)
    add[kSecValueData as String] = secret
    add[kSecAttrAccessControl as String] = access
    let status = SecItemAdd(add as CFDictionary, nil)
    // Without a passcode a WhenPasscodeSet item cannot be added.
    answer(invoke, status == errSecSuccess ? "stored" : "unavailable")
  }

  /// Reads the secret; iOS shows its own prompt. Resolves `{ "answer": "released", "secret": ... }`
  /// or why not. The read blocks until the user answers, so it runs off the main queue.
  @objc public func releaseKey(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(KeyArgs.self)
    guard aliasIsValid(args.alias) else {
      invoke.reject("bad key name")
      return
    }
    DispatchQueue.global(qos: .userInitiated).async {
      let context = LAContext()
      context.localizedReason = args.reason ?? "Unlock WardCam"
      var query = self.keyQuery(args.alias)
      query[kSecReturnData as String] = true
      query[kSecMatchLimit as String] = kSecMatchLimitOne
      query[kSecUseAuthenticationContext as String] = context
      var item: CFTypeRef?
      let status = SecItemCopyMatching(query as CFDictionary, &item)
      switch status {
      case errSecSuccess:
        guard var data = item as? Data else {
          self.answer(invoke, "unavailable")
          return
        }
        let text = base64UrlEncode(data)
        data.resetBytes(in: 0..<data.count)
        invoke.resolve(["answer": "released", "secret": text])
      case errSecUserCanceled:
        self.answer(invoke, "cancelled")
      case errSecAuthFailed:
        self.answer(invoke, "refused")
      case errSecItemNotFound:
        // Never stored, or deleted by iOS when the passcode was turned off.
        self.answer(invoke, "missing")
      default:
        // errSecInteractionNotAllowed (locked, no passcode) and anything else.
        self.answer(invoke, "unavailable")
      }
    }
  }

  /// Deletes the item; resolves `{ "answer": "forgotten" }`.
  @objc public func forgetKey(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(KeyArgs.self)
    guard aliasIsValid(args.alias) else {
      invoke.reject("bad key name")
      return
    }
    SecItemDelete(keyQuery(args.alias) as CFDictionary)
    answer(invoke, "forgotten")
  }

  // MARK: Kiosk: Guided Access

  /// Asks iOS to start (or end) Guided Access; granted without asking only on supervised phones
  /// whose MDM allows WardCam. Resolves `{ "answer": "locked" | "refused" | "stopped" }`.
  @objc public func lockTask(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(LockTaskArgs.self)
    DispatchQueue.main.async {
      if args.enabled && UIAccessibility.isGuidedAccessEnabled {
        self.answer(invoke, "locked")
        return
      }
      UIAccessibility.requestGuidedAccessSession(enabled: args.enabled) { success in
        if args.enabled {
          self.answer(invoke, success ? "locked" : "refused")
        } else {
          self.answer(invoke, "stopped")
        }
      }
    }
  }

  // MARK: Background delivery

  /// Registers the delivery task. iOS requires it before the app finishes launching, so it is
  /// called from the plugin's entry point (Tauri builds the plugins before UIApplicationMain).
  static func registerDelivery(_ plugin: DevicePlugin) {
    BGTaskScheduler.shared.register(forTaskWithIdentifier: deliveryTaskId, using: .main) {
      [weak plugin] task in
      guard let plugin = plugin else {
        task.setTaskCompleted(success: false)
        return
      }
      plugin.runWake(task)
    }
  }

  /// Asks for a processing task with network, at iOS's discretion.
  static func scheduleDelivery() {
    let request = BGProcessingTaskRequest(identifier: deliveryTaskId)
    request.requiresNetworkConnectivity = true
    request.requiresExternalPower = false
    try? BGTaskScheduler.shared.submit(request)
  }

  /// Main queue: triggers the event and finishes the task when Rust says so, at expiry, or after
  /// wakeBudgetSeconds.
  private func runWake(_ task: BGTask) {
    DevicePlugin.scheduleDelivery()
    wakeTask = task
    task.expirationHandler = { [weak self] in
      DispatchQueue.main.async { self?.finishWake(task, ok: false) }
    }
    let empty: JSObject = [:]
    trigger(backgroundWake, data: empty)
    DispatchQueue.main.asyncAfter(deadline: .now() + wakeBudgetSeconds) { [weak self] in
      self?.finishWake(task, ok: false)
    }
  }

  private func finishWake(_ task: BGTask, ok: Bool) {
    guard wakeTask === task else { return }
    wakeTask = nil
    task.setTaskCompleted(success: ok)
  }

  /// Rust's drain finished (BackgroundWake::done in src/lib.rs).
  @objc public func backgroundWakeDone(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(DoneArgs.self)
    DispatchQueue.main.async {
      if let task = self.wakeTask {
        self.finishWake(task, ok: args.ok)
      }
      self.answer(invoke, "stopped")
    }
  }
}

@_cdecl("init_plugin_wardcam_device")
func initPlugin() -> Plugin {
  let plugin = DevicePlugin()
  DevicePlugin.registerDelivery(plugin)
  return plugin
}
