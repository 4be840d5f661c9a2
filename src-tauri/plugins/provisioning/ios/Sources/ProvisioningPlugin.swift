// WardCam provisioning plugin, iOS half. NEVER COMPILED on the development machines (no Xcode
// there): written against Foundation's UserDefaults and Tauri 2's iOS plugin API; see ../../README.md.
//
// Thin on purpose: it hands the AppConfig dictionary to Rust as raw JSON and says when it changed.
// wardcam-core decides what the values mean and refuses what is wrong.

import Foundation
import Tauri
import WebKit

/// Where iOS puts the app configuration an MDM pushed (AppConfig).
let managedConfigKey = "com.apple.configuration.managed"
/// The event name; the same as MANAGED_CONFIG_CHANGED in src/lib.rs.
let managedConfigChanged = "managedConfigChanged"

class ProvisioningPlugin: Plugin {
  private var observer: NSObjectProtocol?
  private var lastSeen: NSDictionary?
  private let lock = NSLock()

  public override func load(webview: WKWebView) {
    lastSeen = UserDefaults.standard.dictionary(forKey: managedConfigKey) as NSDictionary?
    // Posted for any change to the app's defaults; only a change of the managed dictionary counts.
    observer = NotificationCenter.default.addObserver(
      forName: UserDefaults.didChangeNotification, object: nil, queue: nil
    ) { [weak self] _ in
      self?.managedMaybeChanged()
    }
  }

  deinit {
    if let observer = observer {
      NotificationCenter.default.removeObserver(observer)
    }
  }

  private func managedMaybeChanged() {
    let now = UserDefaults.standard.dictionary(forKey: managedConfigKey) as NSDictionary?
    lock.lock()
    let changed = !(now == nil && lastSeen == nil) && !(now?.isEqual(lastSeen) ?? false)
    lastSeen = now
    lock.unlock()
    if changed {
      // No values in the event: Rust re-reads them through managedConfig.
      let empty: JSObject = [:]
      trigger(managedConfigChanged, data: empty)
    }
  }

  /// Resolves `{ "config": { ...keys } }`, or `{ "config": null }` when the MDM set nothing.
  @objc public func managedConfig(_ invoke: Invoke) throws {
    let managed = UserDefaults.standard.dictionary(forKey: managedConfigKey)
    let config: Any = managed.map { jsonSafe($0) } ?? NSNull()
    invoke.resolve(["config": config])
  }
}

/// Property-list values as JSON values: NSNumber booleans stay booleans, whole numbers stay
/// integers, dictionaries and arrays recurse. Dates become ISO 8601 text and data base64 text, so
/// a wrongly typed key reaches wardcam-core (which names it) instead of vanishing.
func jsonSafe(_ value: Any) -> Any {
  switch value {
  case let dict as [String: Any]:
    return dict.mapValues { jsonSafe($0) }
  case let array as [Any]:
    return array.map { jsonSafe($0) }
  case let number as NSNumber:
    if CFGetTypeID(number) == CFBooleanGetTypeID() {
      return number.boolValue
    }
    if CFNumberIsFloatType(number) {
      return number.doubleValue
    }
    return number.int64Value
  case let string as String:
    return string
  case let date as Date:
    return ISO8601DateFormatter().string(from: date)
  case let data as Data:
    return data.base64EncodedString()
  default:
    return String(describing: value)
  }
}

@_cdecl("init_plugin_wardcam_provisioning")
func initPlugin() -> Plugin {
  return ProvisioningPlugin()
}
