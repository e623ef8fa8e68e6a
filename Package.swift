// swift-tools-version:6.0
// The import graph of DESIGN.md: arrows point down only. See README "How the layers fit".
import PackageDescription

let package = Package(
    name: "provision",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "provision", targets: ["provision"]),
        // The parsers of outside input, for the libFuzzer harnesses in Fuzz/ (scripts/fuzz).
        .library(name: "ProvisionCore", targets: ["Vocabulary", "Firmware", "LuaImage", "EC618", "QA", "Station"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // The request parts Hummingbird's channel carries (the QA server's request time limit).
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // Certificates: the station's own (QA) and the board's mbedTLS-like checks (BoardSim);
        // swift-asn1 is named because both spell ASN.1 values (an iPAddress name) themselves.
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
    ],
    targets: [
        // System libraries (Debian -dev packages, found with pkg-config).
        .systemLibrary(name: "CLibArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CLua", pkgConfig: "lua5.3", providers: [.apt(["liblua5.3-dev"])]),
        .systemLibrary(name: "CLibUSB", pkgConfig: "libusb-1.0", providers: [.apt(["libusb-1.0-0-dev"])]),
        .systemLibrary(name: "CLibUDev", pkgConfig: "libudev", providers: [.apt(["libudev-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // zlib inflate/deflate in Swift, shared by the QA server and the simulated board.
        .target(name: "Deflate", dependencies: ["CZlib"]),

        // The project's shared words (failure classes, station steps, log escaping, the board's
        // USB identity): a leaf every layer that speaks them imports, so QA and Records agree
        // without importing each other.
        .target(name: "Vocabulary"),

        // Firmware packages: .soc, info.json, binpkg, flash plan, AgentBoot lookup, profiles.
        .target(name: "Firmware", dependencies: [
            "Vocabulary", "CLibArchive", "LittleFS",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        // littlefs v2 images (write and read back) and fskv values: the per-board data regions.
        .target(name: "LittleFS"),
        // Lua 5.3 compile, EC618 32-bit bytecode, LuaDB.
        .target(name: "LuaImage", dependencies: [
            "CLua",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Byte links: the ByteLink protocol, termios tty, libusb bulk.
        .target(name: "Links", dependencies: ["CLibUSB"]),
        // libudev enumerate + monitor; slots keyed by physical USB path.
        .target(name: "Hotplug", dependencies: ["CLibUDev", "Firmware", "Vocabulary"]),
        // Sans-I/O EC618 download protocol + the flasher driving any ByteLink.
        .target(name: "EC618", dependencies: [
            "Firmware", "Links",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // A simulated EC618 board (device side of the protocol, NOR flash model, the firmware's
        // HTTP client and TLS verification on a network contained to this machine).
        .target(name: "BoardSim", dependencies: [
            "EC618", "LuaImage", "Links", "Firmware", "Vocabulary", "CLua", "Deflate", "LittleFS",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ]),
        // Results store (SQLite through GRDB, PostgreSQL through postgres-nio) and batch reports.
        .target(name: "Records", dependencies: [
            "Vocabulary",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The post-flash verifier: QA server, QA Lua script, verdict, LuatOS log decoder.
        .target(name: "QA", dependencies: [
            "Vocabulary", "Firmware", "LuaImage", "Deflate",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "MultipartKit", package: "multipart-kit"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            // The station's client of a shared QA server's /admin API (SharedQAServerClient).
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        // The station: the runner, the per-slot pipeline (actors), the one board driver over any
        // bus, retry policy, step timing, station events.
        .target(name: "Station", dependencies: [
            "Vocabulary", "Firmware", "Records", "QA", "EC618", "Links", "LuaImage", "Hotplug", "LittleFS",
            .product(name: "TOMLKit", package: "TOMLKit"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // A fixture of simulated boards on memory or pseudo-terminal buses, as a station's board
        // source: what the executable (and tests) compose when no real board is attached.
        .target(name: "SimulatedLine", dependencies: ["Vocabulary", "BoardSim", "Firmware", "Hotplug", "Links", "Station"]),
        // The console: the station's (and the line's) live page, served over HTTP with
        // Server-Sent Events, and the operator's actions.
        .target(name: "Console", dependencies: [
            "Vocabulary", "Firmware", "Records", "Station", "QA",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .executableTarget(name: "provision", dependencies: [
            "Vocabulary", "Firmware", "LuaImage", "Links", "EC618", "BoardSim", "Hotplug", "QA", "Records", "Station", "SimulatedLine",
            "LittleFS", "Console",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Helpers shared by the test targets (spawning children reliably, temporary folders).
        .target(name: "TestSupport", dependencies: [
            "LittleFS",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ], path: "Tests/TestSupport", exclude: ["littlefs_oracle.py"]),
        .testTarget(name: "FirmwareTests", dependencies: ["Firmware", "Vocabulary", "TestSupport"]),
        .testTarget(name: "LuaImageTests", dependencies: [
            "LuaImage", "CLua", "TestSupport", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "LittleFSTests", dependencies: ["LittleFS", "TestSupport"]),
        .testTarget(name: "EC618Tests", dependencies: ["EC618", "Firmware", "Links"]),
        .testTarget(name: "BoardSimTests", dependencies: [
            "BoardSim", "EC618", "Firmware", "LuaImage", "Links", "Vocabulary", "TestSupport",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "HotplugTests", dependencies: ["TestSupport", "Hotplug", "Links", "EC618", "BoardSim", "Firmware", "Vocabulary"]),
        .testTarget(name: "StationTests", dependencies: [
            "Vocabulary", "Station", "SimulatedLine", "Records", "Firmware", "BoardSim", "Hotplug", "QA", "LuaImage", "EC618", "TestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // QA and Station too: QA sessions kept in a store (StoredQASessions) are tested on the
        // stores these tests start, PostgreSQL included.
        .testTarget(name: "RecordsTests", dependencies: [
            "Vocabulary", "Records", "TestSupport", "QA", "Station",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "QATests", dependencies: [
            "Vocabulary", "QA", "TestSupport", "BoardSim", "EC618", "Firmware", "LuaImage", "Links",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ]),
        .testTarget(name: "ConsoleTests", dependencies: [
            "Console", "Station", "Records", "Vocabulary", "TestSupport",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        // Runs the built `provision` binary: exit codes, messages, JSON output.
        .testTarget(name: "CLITests", dependencies: ["Vocabulary", "TestSupport", "Records", "Firmware", "LuaImage", "Deflate", "QA", "LittleFS"]),
    ]
)
