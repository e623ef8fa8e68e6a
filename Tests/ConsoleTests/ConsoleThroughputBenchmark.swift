import AsyncHTTPClient
import Console
import Firmware
import Foundation
import NIOCore
import Station
import Testing
import Vocabulary

/// How many station events the console takes per second with a page listening: a figure for
/// scripts/bench-console (run with BENCH_CONSOLE=1), not a timed test. It checks only that every
/// event was applied and the page got the end state.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["BENCH_CONSOLE"] != nil, "set BENCH_CONSOLE=1 (scripts/bench-console)"))
struct ConsoleThroughputBenchmark {
    @Test func eventsPerSecondWithAPageOpen() async throws {
        let slots = 64, boardsPerSlot = 20, progressPerBoard = 200
        let state = ConsoleState(title: "bench", station: "s", actions: false)
        let server = ConsoleServer(state: state, listen: HostPort(host: "127.0.0.1", port: 0), token: nil, actions: nil,
                                   storeURL: nil)
        let port = try await server.start()
        let page = Task { () -> (Int, Bool) in
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/events"),
                                                               timeout: .seconds(600))
            var bytes = 0, sawLast = false, tail = ""
            for try await chunk in response.body {
                bytes += chunk.readableBytes
                tail = String((tail + String(buffer: chunk)).suffix(4096))
                if tail.contains("\"runID\":\"b\(boardsPerSlot - 1)-\(slots)\"") && tail.contains("\"boards\":\(slots * boardsPerSlot)") {
                    sawLast = true
                }
            }
            return (bytes, sawLast)
        }
        let observer = server.observer
        var sent = 0
        let start = ContinuousClock.now
        for board in 0..<boardsPerSlot {
            for slot in 1...slots {
                let run = "b\(board)-\(slot)"
                func send(_ kind: StationEvent.Kind) {
                    observer.show(StationEvent(slotPath: "99-\(slot)", slotLabel: "slot\(slot)", runID: run, kind: kind))
                    sent += 1
                }
                send(.runStarted)
                send(.stepStarted(.flashFull, attempt: 1))
                for p in 1...progressPerBoard { send(.progress(.flashFull, done: p, total: progressPerBoard)) }
                send(.stepStarted(.qa, attempt: 1))
                send(.verdict(slot % 10 == 0 ? .fail : .pass, failureClass: slot % 10 == 0 ? FailureClass(rawValue: "x") : nil,
                              step: nil, detail: nil))
            }
        }
        let figures = await server.stop()
        let elapsed = ContinuousClock.now - start
        let (bytes, sawLast) = try await page.value
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(String(format: "console throughput: %d events in %.2f s = %.0f events/s applied; %d SSE message(s), %d KiB to one page",
                     sent, seconds, Double(sent) / seconds, figures.messagesSent, bytes / 1024))
        #expect(figures.eventsApplied == sent)
        #expect(sawLast, "the page got the last board and the final count")
    }
}
