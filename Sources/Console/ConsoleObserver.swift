import Station

/// Tells several observers what the station tells one: the terminal display and the console.
public struct FanOutObserver: StationObserver {
    public let observers: [any StationObserver]

    public init(_ observers: [any StationObserver]) {
        self.observers = observers
    }

    public func show(_ event: StationEvent) { observers.forEach { $0.show(event) } }
    public func note(_ text: String) { observers.forEach { $0.note(text) } }
    public func slotNote(path: String, label: String, step: String, _ text: String) {
        observers.forEach { $0.slotNote(path: path, label: label, step: step, text) }
    }
}

/// The console's ear on the station: events are queued (the station never waits for the page)
/// and applied to the console's state in order by one reader.
public struct ConsoleObserver: StationObserver {
    enum Heard: Sendable {
        case event(StationEvent)
        case slotNote(path: String, label: String, text: String)
    }

    let sink: AsyncStream<Heard>.Continuation

    public func show(_ event: StationEvent) { sink.yield(.event(event)) }
    public func note(_ text: String) {}
    public func slotNote(path: String, label: String, step: String, _ text: String) {
        sink.yield(.slotNote(path: path, label: label, text: text))
    }
}
