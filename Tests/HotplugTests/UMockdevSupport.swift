import Foundation
import Hotplug
import Testing

/// Whether this test process runs under the umockdev preload (scripts/test runs the UMockdev
/// suites that way). Without it, libudev/libusb would see the real machine, so those suites
/// skip themselves.
enum UMockdev {
    static var active: Bool {
        (ProcessInfo.processInfo.environment["LD_PRELOAD"] ?? "").contains("libumockdev-preload")
    }
    static let skipReason: Comment =
        "umockdev tier skipped: run under LD_PRELOAD=libumockdev-preload.so.0 (scripts/test does; apt-get install umockdev gir1.2-umockdev-1.0 python3-gi)"

    /// `Tests/Peers/umockdev/testbed.py` in this checkout.
    static var helperScript: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Peers/umockdev/testbed.py").path
    }
}

/// The Python testbed helper (Debian's /usr/bin/python3 with gi + UMockdev): it owns the
/// simulated sysfs/dev tree and obeys one command per line. While it lives, this process's
/// libudev and libusb see its tree (`UMOCKDEV_DIR` is process-global, hence one serialized
/// suite per process).
/// `@unchecked Sendable`: one test at a time drives it, from its own task.
final class UMockdevTestbed: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffer: [UInt8] = []
    let root: String

    init() throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [UMockdev.helperScript]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let first = try UMockdevTestbed.readLine(output.fileHandleForReading, &buffer)
        guard first.hasPrefix("root ") else { throw TestbedError(line: first) }
        root = String(first.dropFirst(5))
        setenv("UMOCKDEV_DIR", root, 1)
    }

    /// Sends one command; returns the text after `ok`, throws on `err`.
    @discardableResult
    func send(_ command: String) throws -> String {
        input.fileHandleForWriting.write(Data((command + "\n").utf8))
        let line = try UMockdevTestbed.readLine(output.fileHandleForReading, &buffer)
        guard line.hasPrefix("ok") else { throw TestbedError(line: "\(command): \(line)") }
        return String(line.dropFirst(3))
    }

    /// `key=value` words of an answer, e.g. `usb=/dev/bus/usb/001/003 tty0=/dev/ttyACM0`.
    static func fields(_ answer: String) -> [String: String] {
        Dictionary(answer.split(separator: " ").compactMap { word -> (String, String)? in
            guard let eq = word.firstIndex(of: "=") else { return nil }
            return (String(word[..<eq]), String(word[word.index(after: eq)...]))
        }, uniquingKeysWith: { a, _ in a })
    }

    func close() {
        _ = try? send("quit")
        process.waitUntilExit()
        unsetenv("UMOCKDEV_DIR")
    }

    private static func readLine(_ handle: FileHandle, _ buffer: inout [UInt8]) throws -> String {
        while true {
            if let newline = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let data = handle.availableData
            if data.isEmpty { throw TestbedError(line: "testbed helper exited") }
            buffer += data
        }
    }
}

struct TestbedError: Error, CustomStringConvertible {
    let line: String
    var description: String { "umockdev testbed: \(line)" }
}

/// Collects a watcher's reports as they come, so a test can wait for the next one with a
/// bound instead of sleeping.
actor ReportLog {
    private var reports: [SlotReport] = []
    private var cursor = 0
    private var waiter: (id: Int, continuation: CheckedContinuation<SlotReport?, Never>)?
    private var nextID = 0
    private var consumer: Task<Void, Never>?

    func start(_ stream: AsyncThrowingStream<SlotReport, Error>) {
        consumer = Task {
            do {
                for try await report in stream { self.append(report) }
            } catch {}
        }
    }

    func stop() { consumer?.cancel() }

    private func append(_ report: SlotReport) {
        reports.append(report)
        if let w = waiter {
            waiter = nil
            cursor += 1
            w.continuation.resume(returning: report)
        }
    }

    /// The next report not yet returned, or nil when none arrives within `timeout`.
    func next(within timeout: Duration = .seconds(5)) async -> SlotReport? {
        if cursor < reports.count {
            cursor += 1
            return reports[cursor - 1]
        }
        nextID += 1
        let id = nextID
        return await withCheckedContinuation { continuation in
            waiter = (id, continuation)
            Task {
                try? await Task.sleep(for: timeout)
                self.expire(id)
            }
        }
    }

    private func expire(_ id: Int) {
        guard let w = waiter, w.id == id else { return }
        waiter = nil
        w.continuation.resume(returning: nil)
    }
}
