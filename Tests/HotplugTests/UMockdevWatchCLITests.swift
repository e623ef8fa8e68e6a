import Foundation
import TestSupport
import Testing

extension UMockdevTests {
/// The built `provision watch` and `doctor` binaries against the simulated bus, as a station
/// operator runs them.
@Suite struct WatchCLI {
    static var binary: URL { ProvisionExecutable.url }

    /// Starts `provision` with this process's umockdev environment.
    static func start(_ arguments: [String], testbed: UMockdevTestbed) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["UMOCKDEV_DIR"] = testbed.root
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.standardError
        try process.run()
        return (process, out)
    }

    /// The next line the child prints, or nil at its end.
    static func nextLine(_ handle: FileHandle, _ buffer: inout [UInt8]) -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 10) {
                defer { buffer.removeSubrange(...newline) }
                return String(decoding: buffer[..<newline], as: UTF8.self)
            }
            let data = handle.availableData
            if data.isEmpty { return nil }
            buffer += data
        }
    }

    static func object(_ line: String?) throws -> [String: Any] {
        let data = Data(try #require(line).utf8)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func watchJSONFollowsASlotThroughItsShapes() throws {
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        let ports = UMockdevTestbed.fields(try tb.send("board 1-1.3 running ttys=4,6,2"))
        let (process, out) = try Self.start(["watch", "--json", "--label", "1-1.3=A1", "--count", "3"], testbed: tb)
        var buffer: [UInt8] = []
        let first = try Self.object(Self.nextLine(out.fileHandleForReading, &buffer))
        #expect(first["event"] as? String == "appeared")
        #expect(first["slot"] as? String == "A1")
        #expect(first["path"] as? String == "1-1.3")
        #expect(first["mode"] as? String == "running")
        #expect(first["complete"] as? Bool == true)
        #expect(first["ports"] as? [String: String] == ["soc_log": ports["tty2"]!, "trace": ports["tty4"]!,
                                                        "vuart": ports["tty6"]!])

        try tb.send("remove 1-1.3")
        let download = UMockdevTestbed.fields(try tb.send("board 1-1.3 download"))
        let gone = try Self.object(Self.nextLine(out.fileHandleForReading, &buffer))
        #expect(gone["event"] as? String == "gone")
        #expect(gone["path"] as? String == "1-1.3")
        let back = try Self.object(Self.nextLine(out.fileHandleForReading, &buffer))
        #expect(back["mode"] as? String == "download")
        #expect(back["ports"] as? [String: String] == ["download": download["tty0"]!])
        #expect(back["usb"] as? String == download["usb"])
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "--count 3 ends the watch by itself")
    }

    @Test func watchPrintsADeviceOfUnknownShapeWithItsMessage() throws {
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        let ports = UMockdevTestbed.fields(try tb.send("board 1-1.3 single-running"))
        let (json, jsonOut) = try Self.start(["watch", "--json", "--count", "1"], testbed: tb)
        var buffer: [UInt8] = []
        let line = try Self.object(Self.nextLine(jsonOut.fileHandleForReading, &buffer))
        #expect(line["mode"] as? String == "unknown")
        #expect(line["path"] as? String == "1-1.3")
        let message = try #require(line["message"] as? String)
        #expect(message.contains("19d1:0001") && message.contains("\(ports["tty0"]!) on interface 0"))
        json.waitUntilExit()

        let (plain, plainOut) = try Self.start(["watch", "--count", "1"], testbed: tb)
        buffer = []
        let text = try #require(Self.nextLine(plainOut.fileHandleForReading, &buffer))
        #expect(text.hasPrefix("1-1.3") && text.contains("unknown") && text.contains(message))
        plain.waitUntilExit()
        #expect(plain.terminationStatus == 0)
    }

    @Test func watchForSecondsEndsByItself() throws {
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        try tb.send("board 1-1.3 download")
        let start = ContinuousClock.now
        let (process, out) = try Self.start(["watch", "--for", "0.5"], testbed: tb)
        var buffer: [UInt8] = []
        let line = try #require(Self.nextLine(out.fileHandleForReading, &buffer))
        #expect(line.hasPrefix("1-1.3"))
        #expect(line.contains("download"))
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(ContinuousClock.now - start >= .milliseconds(500))
    }

    @Test func doctorChecksThePresentBoardsNodes() throws {
        let tb = try UMockdevTestbed()
        defer { tb.close() }
        try tb.send("board 1-1.3 running")
        let (process, out) = try Self.start(["doctor", "--rules-dir", tb.root], testbed: tb)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let board = text.split(separator: "\n").first { $0.contains("board 1-1.3 (running)") }
        #expect(board?.hasPrefix("ok") == true, "\(text)")
        #expect(board?.contains("/dev/bus/usb/001/") == true)
    }
}
}
