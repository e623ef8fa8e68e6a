import Foundation
@testable import Records
import Testing
import TestSupport

/// A throw-away PostgreSQL server on 127.0.0.1 for one test run: `initdb` into a temporary
/// folder, `pg_ctl start` on a free port, `pg_ctl stop` at the end. Debian's server binaries live
/// in /usr/lib/postgresql/<version>/bin (apt package `postgresql`). As root, the server runs as
/// the `postgres` user, since PostgreSQL refuses to run as root.
final class PostgresServer {
    let port: Int
    let folder: URL
    private let bin: URL
    private let asPostgresUser: Bool

    var url: String { "postgres://provision@127.0.0.1:\(port)/postgres" }

    /// The server binaries, if installed.
    static var binFolder: URL? {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return versions.compactMap(Int.init).sorted().reversed()
            .map { root.appendingPathComponent("\($0)/bin") }
            .first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("initdb").path) }
    }

    init() throws {
        guard let bin = Self.binFolder else { throw Failure("PostgreSQL server binaries not installed") }
        self.bin = bin
        asPostgresUser = getuid() == 0
        folder = URL(fileURLWithPath: "/tmp/provision-pg-\(UUID().uuidString.prefix(8))")
        port = try Self.freePort()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if asPostgresUser { try run("/bin/chown", ["postgres:postgres", folder.path], asPostgres: false) }
        let data = folder.appendingPathComponent("data").path
        try run(bin.appendingPathComponent("initdb").path,
                ["-D", data, "-A", "trust", "-U", "provision", "--no-sync", "-E", "UTF8"])
        try run(bin.appendingPathComponent("pg_ctl").path,
                ["-D", data, "-l", folder.appendingPathComponent("log").path, "-w", "-t", "60",
                 "-o", "-c listen_addresses=127.0.0.1 -p \(port) -k \(folder.path) -c fsync=off", "start"])
    }

    func stop() {
        try? run(bin.appendingPathComponent("pg_ctl").path,
                 ["-D", folder.appendingPathComponent("data").path, "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(at: folder)
    }

    private func run(_ tool: String, _ arguments: [String], asPostgres: Bool? = nil) throws {
        let result = (asPostgres ?? asPostgresUser)
            ? try ChildProcess.run("/usr/sbin/runuser", ["-u", "postgres", "--", tool] + arguments)
            : try ChildProcess.run(tool, arguments)
        guard result.status == 0 else {
            throw Failure("\((tool as NSString).lastPathComponent) failed (\(result.status)): \(result.stdout)\(result.stderr)")
        }
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Int32 in
                guard bind(fd, p, len) == 0 else { return -1 }
                return getsockname(fd, p, &len)
            }
        }
        guard bound == 0 else { throw Failure("no free port on 127.0.0.1") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }
}

extension PostgresServer {
    /// Runs `body` on a results store in a fresh PostgreSQL server, or says why it is skipped
    /// (the server binaries are missing; CI must have them).
    static func withStore(_ suite: String, _ body: (SQLResultsStore) async throws -> Void) async throws {
        try await withServerURL(suite) { url in
            let store = try await StoreURL.open(url)
            try await body(store)
            await store.close()
        }
    }

    /// Runs `body` with the URL of a fresh PostgreSQL server (to open several stores on one
    /// database, as several processes would), or says why it is skipped.
    static func withServerURL(_ suite: String, _ body: (String) async throws -> Void) async throws {
        guard PostgresStoreTests.available else {
            #expect(!PostgresStoreTests.requiredInCI, "CI must install PostgreSQL (apt-get install postgresql)")
            print("\(suite) (PostgreSQL) skipped: PostgreSQL server binaries are not installed")
            return
        }
        let server = try PostgresServer()
        defer { server.stop() }
        try await body(server.url)
    }
}
