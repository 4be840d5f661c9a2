// swift-tools-version:5.3
// WardCam provisioning plugin (iOS). Never built on the development machines: see ../README.md.

import PackageDescription

let package = Package(
  name: "tauri-plugin-wardcam-provisioning",
  platforms: [
    .macOS(.v10_13),
    .iOS(.v13),
  ],
  products: [
    .library(
      name: "tauri-plugin-wardcam-provisioning",
      type: .static,
      targets: ["tauri-plugin-wardcam-provisioning"])
  ],
  dependencies: [
    .package(name: "Tauri", path: "../.tauri/tauri-api")
  ],
  targets: [
    .target(
      name: "tauri-plugin-wardcam-provisioning",
      dependencies: [
        .byName(name: "Tauri")
      ],
      path: "Sources")
  ]
)
