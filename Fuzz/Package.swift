// swift-tools-version:6.0
// libFuzzer harnesses for the parsers of outside input (scripts/fuzz builds and runs them).
// Built with `-Xswiftc -sanitize=fuzzer,address` so the library code itself gets coverage
// counters and ASan checks; each harness is an executable that runs libFuzzer's driver.
import PackageDescription

let harnesses = [
    "FuzzSoc", "FuzzInfoJSON", "FuzzBinpkg", "FuzzProfile", "FuzzStationConfig",
    "FuzzLuaDB", "FuzzLuaChunk", "FuzzEC618", "FuzzLuatOSLog", "FuzzQAHTTP",
]

let package = Package(
    name: "provision-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "provision", path: ".."),
    ],
    targets: [
        // Declares libFuzzer's driver for the harnesses' entry points.
        .target(name: "FuzzEntry"),
    ] + harnesses.map { name in
        // -parse-as-library: no top-level code; `<name>_main` starts libFuzzer's driver.
        .executableTarget(name: name,
                          dependencies: ["FuzzEntry", .product(name: "ProvisionCore", package: "provision")],
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    }
)
