// swift-tools-version:5.3
// WardCam device plugin (iOS). Never built on the development machines: see ../README.md.

import PackageDescription

let package = Package(
  name: "tauri-plugin-wardcam-device",
  platforms: [
    .macOS(.v10_13),
    .iOS(.v13),
  ],
  products: [
    .library(
      name: "tauri-plugin-wardcam-device",
      type: .static,
      targets: ["tauri-plugin-wardcam-device"])
  ],
  dependencies: [
    .package(name: "Tauri", path: "../.tauri/tauri-api")
  ],
  targets: [
    .target(
      name: "tauri-plugin-wardcam-device",
      dependencies: [
        .byName(name: "Tauri")
      ],
      path: "Sources")
  ]
)
