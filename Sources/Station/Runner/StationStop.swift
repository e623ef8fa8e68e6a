import Dispatch
import Glibc
import Synchronization

/// Stops a running station: no new boards start, boards in flight stop at once and are recorded
/// as interrupted, then the station closes as after its last board. Raised by Ctrl-C / SIGTERM
/// (one signal is enough), or by whoever embeds the station.
public final class StationStop: Sendable {
    private let state = Mutex<(raised: Bool, handlers: [@Sendable () -> Void])>((false, []))

    public init() {}

    public func raise() {
        let handlers = state.withLock { s -> [@Sendable () -> Void] in
            guard !s.raised else { return [] }
            s.raised = true
            defer { s.handlers = [] }
            return s.handlers
        }
        handlers.forEach { $0() }
    }

    public var isRaised: Bool { state.withLock { $0.raised } }

    /// Runs `handler` when the stop is raised (at once if it was).
    func onRaise(_ handler: @escaping @Sendable () -> Void) {
        let now = state.withLock { s -> Bool in
            if s.raised { return true }
            s.handlers.append(handler)
            return false
        }
        if now { handler() }
    }

    /// A stop raised by SIGINT or SIGTERM for as long as the returned guard is kept.
    public static func onSignals(_ numbers: [Int32] = [SIGINT, SIGTERM]) -> (stop: StationStop, guard: SignalGuard) {
        let stop = StationStop()
        let sources = numbers.map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { stop.raise() }
            source.resume()
            return source
        }
        return (stop, SignalGuard(sources: sources))
    }
}

/// Keeps the signal handlers of `StationStop.onSignals` installed; `cancel()` removes them.
public struct SignalGuard: @unchecked Sendable {  // DispatchSource is thread-safe but not marked Sendable
    let sources: [DispatchSourceSignal]
    public func cancel() { sources.forEach { $0.cancel() } }
}
