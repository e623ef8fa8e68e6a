import Hotplug
import Links

/// Where a station's boards come from: the USB bus the watcher sees, or a line of simulated boards
/// on a memory or pseudo-terminal bus. Either way the station drives them with its one board
/// driver, through the ports the source's reports name.
public protocol BoardSource: Sendable {
    /// The slots' shapes as the bus shows them, as the watcher reports them.
    func reports() throws -> AsyncThrowingStream<SlotReport, Error>
    /// Opens the ports the reports name.
    var ports: any BoardPorts { get }
    /// How long a finished board must stay off the bus before its slot counts a board there as
    /// the next one (shorter is a reset of the same board re-enumerating).
    var swapSettle: Duration { get }
    /// Whether the source swaps finished boards itself (a simulated operator), so nobody is asked to.
    var swapsBoards: Bool { get }
    /// The station is done with the board in `slot`: the operator (or the simulation) swaps it.
    func finished(_ slot: Slot) async
    /// A board is in `slot` too soon after its finished board left (or that board never left):
    /// the slot takes nothing until it is removed. The operator is told so; a simulated
    /// operator does it.
    func held(_ slot: Slot) async
    /// The station has stopped; the source ends what it runs itself.
    func close() async
}

/// Real boards on this machine's USB bus, seen through libudev.
public struct WatchedBoards: BoardSource {
    public let settings: WatchSettings
    public var ports: any BoardPorts { SystemBoardPorts() }
    public var swapSettle: Duration { SlotDispatcher.defaultSwapSettle }
    public var swapsBoards: Bool { false }

    public init(settings: WatchSettings) {
        self.settings = settings
    }

    public func reports() throws -> AsyncThrowingStream<SlotReport, Error> {
        do {
            return try SlotWatcher.reports(settings)
        } catch {
            throw StationEnvironmentError("cannot watch for boards: \(error)")
        }
    }

    /// An operator takes the board out; the watcher sees it go.
    public func finished(_ slot: Slot) async {}
    /// The operator reads the note and removes the board; the watcher sees it go.
    public func held(_ slot: Slot) async {}
    public func close() async {}
}

/// The machine, not the input or a board, stops the station (no QA listener, no udev).
public struct StationEnvironmentError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Boards could not reach the QA server at the URL they would be given (input: exit 2).
public struct BoardReachError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
