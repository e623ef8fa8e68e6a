import Station

/// What the operator can do from the page; a station's console has them, the line view does not.
public protocol ConsoleActions: Sendable {
    func hold(slot: String) async
    func release(slot: String) async
    func scanned(label: String, slot: String) async
    func stopTakingBoards() async
}

extension StationControls: ConsoleActions {}
