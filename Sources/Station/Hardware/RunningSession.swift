import Hotplug
import Links
import QA
import Vocabulary

/// A running board's x.2 (SoC log) and x.6 (virtual UART) ports, open and read continuously
/// from the moment the board is seen running, so nothing it writes is lost while the pipeline
/// is busy elsewhere (and a port nobody reads cannot stall the board).
actor RunningSession {
    let socLog: any ByteLink
    let vuart: any ByteLink
    /// x.6's QA events from complete lines, and the line still arriving.
    private var vuartEvents: [QABoardEvent] = []
    private var vuartPending: [UInt8] = []
    /// x.2 is decoded as it arrives, so a step polling the log never decodes it twice.
    private var logDecoder: LuatOSLogDecoder
    private var logRecords: [LuatOSLogRecord] = []
    /// Why a port stopped (the board vanished), once it did.
    private(set) var lost: String?
    private var readers: [Task<Void, Never>] = []
    /// A read slice: how often a reader notices `close()`.
    private static let readSlice: Duration = .milliseconds(250)

    init(socLog: any ByteLink, vuart: any ByteLink, logEscaping: LogEscaping) {
        self.socLog = socLog
        self.vuart = vuart
        self.logDecoder = LuatOSLogDecoder(escaping: logEscaping)
    }

    static func open(_ board: RunningBoard, ports: any BoardPorts, baud: Int,
                     logEscaping: LogEscaping) async throws -> RunningSession {
        guard let logPath = board.ports[.socLog], let vuartPath = board.ports[.vuart] else {
            throw LinkError.io(link: board.slot.description, reason: "the running board has no x.2 or x.6 port")
        }
        let log = try await ports.openSerial(logPath, baud: baud)
        let uart: any ByteLink
        do { uart = try await ports.openSerial(vuartPath, baud: baud) } catch {
            await log.close()
            throw error
        }
        let session = RunningSession(socLog: log, vuart: uart, logEscaping: logEscaping)
        await session.startReading()
        return session
    }

    func startReading() {
        readers = [read(socLog, port: .socLog), read(vuart, port: .vuart)]
    }

    private enum Port { case socLog, vuart }

    private func read(_ link: any ByteLink, port: Port) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                do {
                    let bytes = try await link.read(maxCount: 4096, deadline: .now + Self.readSlice)
                    self.append(bytes, to: port)
                } catch LinkError.timeout {
                    continue
                } catch {
                    self.portFailed("\(error)")
                    return
                }
            }
        }
    }

    private func append(_ bytes: [UInt8], to port: Port) {
        switch port {
        case .socLog: logRecords += logDecoder.feed(bytes)
        case .vuart:
            vuartPending += bytes
            if let end = vuartPending.lastIndex(of: 0x0A) {
                vuartEvents += QABoardEvent.parse(Array(vuartPending[...end]))
                vuartPending.removeSubrange(...end)
            }
        }
    }

    /// The QA events the board wrote to x.6 so far, each line parsed once.
    var boardEvents: [QABoardEvent] {
        vuartEvents + QABoardEvent.parse(vuartPending)
    }

    /// The x.2 log records received so far, a line still arriving included.
    var socLogRecords: [LuatOSLogRecord] {
        logRecords + (logDecoder.pendingRecord().map { [$0] } ?? [])
    }

    private func portFailed(_ reason: String) {
        if lost == nil { lost = reason }
    }

    func close() async {
        readers.forEach { $0.cancel() }
        for reader in readers { await reader.value }
        readers = []
        await socLog.close()
        await vuart.close()
    }
}
