import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program and waits for it with `posix_spawn` + `waitpid`.
///
/// Foundation's `Process.waitUntilExit()` relies on a SIGCHLD run-loop source that was seen to
/// miss exits when many tests spawn children in parallel (the child stayed a zombie and the test
/// hung). A direct `waitpid` on the child's pid cannot miss it.
public enum ChildProcess {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// Runs `executable` with `arguments` (not through a shell) and returns its exit status and
    /// output. `stdin` is /dev/null. `environment` entries are added to this process's.
    public static func run(_ executable: String, _ arguments: [String], directory: String? = nil,
                           environment: [String: String] = [:]) throws -> Result {
        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        // Close-on-exec, so children spawned at the same time by other tests never inherit them.
        // (pipe2 is not exported by Swift's Glibc module; fcntl right after is the next best.)
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else { throw Failure("pipe: \(errno)") }
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        // posix_spawn_file_actions_addchdir_np is not exported to Swift: coreutils env changes folder.
        let (program, args) = directory.map { ("/usr/bin/env", ["--chdir=\($0)", executable] + arguments) }
            ?? (executable, arguments)
        let argv = ([program] + args).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, program, &actions, nil, argv, envp)
        close(outPipe[1])
        close(errPipe[1])
        guard rc == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw Failure("cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        // Drain both pipes concurrently so a chatty child never blocks on a full pipe.
        let errReader = PipeReader(fd: errPipe[0])
        let out = readAll(outPipe[0])
        let err = errReader.wait()
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitStatus: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Result(status: exitStatus, stdout: String(decoding: out, as: UTF8.self),
                      stderr: String(decoding: err, as: UTF8.self))
    }

    static func readAll(_ fd: Int32) -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { data += buffer[0..<n] } else if n < 0 && errno == EINTR { continue } else { break }
        }
        close(fd)
        return data
    }
}

/// Reads one pipe to its end on a thread of its own.
private final class PipeReader: @unchecked Sendable {  // `result` is written once, before `done` is signalled.
    private var result: [UInt8] = []
    private let done = DispatchSemaphore(value: 0)

    init(fd: Int32) {
        let thread = Thread { [self] in
            result = ChildProcess.readAll(fd)
            done.signal()
        }
        thread.start()
    }

    func wait() -> [UInt8] {
        done.wait()
        return result
    }
}

/// A child left running, for tests that stop it (SIGINT) or kill it (SIGKILL) mid-work.
public final class RunningChild: Sendable {
    public let pid: pid_t
    /// Files its stdout and stderr go to.
    public let stdoutPath: String
    public let stderrPath: String

    /// Starts `executable`; its output goes to two files in `folder`.
    public init(_ executable: String, _ arguments: [String], folder: String) throws {
        stdoutPath = folder + "/child-\(UUID().uuidString.prefix(8)).out"
        stderrPath = stdoutPath.replacingOccurrences(of: ".out", with: ".err")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard rc == 0 else { throw ChildProcess.Failure("cannot start \(executable): \(String(cString: strerror(rc)))") }
        self.pid = pid
    }

    public func send(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits for the child to end; returns its exit status (128 + signal when killed).
    public func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    public var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
}
