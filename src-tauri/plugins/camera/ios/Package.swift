// swift-tools-version:5.3
// WardCam camera plugin (iOS). Never built on the development machines: see ../README.md.

import PackageDescription

let package = Package(
  name: "tauri-plugin-wardcam-camera",
  platforms: [
    .macOS(.v10_13),
    .iOS(.v13),
  ],
  products: [
    .library(
      name: "tauri-plugin-wardcam-camera",
      type: .static,
      targets: ["tauri-plugin-wardcam-camera"])
  ],
  dependencies: [
    .package(name: "Tauri", path: "../.tauri/tauri-api")
  ],
  targets: [
    .target(
      name: "tauri-plugin-wardcam-camera",
      dependencies: [
        .byName(name: "Tauri")
      ],
      path: "Sources")
  ]
)
