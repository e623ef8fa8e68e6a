import Foundation

/// A throw-away PostgreSQL server on 127.0.0.1 for one test run: `initdb` into a temporary
/// folder, `pg_ctl start` on a free port, `pg_ctl stop` at the end. Debian's server binaries live
/// in /usr/lib/postgresql/<version>/bin (apt package `postgresql`). As root, the server runs as
/// the `postgres` user, since PostgreSQL refuses to run as root.
public final class PostgresServer {
    public let port: Int
    public let folder: URL
    private let bin: URL
    private let asPostgresUser: Bool

    /// A minute to connect (the store's default is 10 s): with every core busy the first connection
    /// to a freshly started server took longer (scripts/under-load).
    public var url: String { "postgres://provision@127.0.0.1:\(port)/postgres?connect_timeout=60" }

    /// The server binaries, if installed.
    public static var binFolder: URL? {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return versions.compactMap(Int.init).sorted().reversed()
            .map { root.appendingPathComponent("\($0)/bin") }
            .first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("initdb").path) }
    }

    public init() throws {
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

    public func stop() {
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

    public static func freePort() throws -> Int {
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

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ d: String) { description = d }
    }
}

