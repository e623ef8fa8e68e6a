/// The simulated 4G link's round trip and rate, paid by every HTTP exchange of the firmware's
/// client (`SimTiming.realistic` names the figures). The firmware opens one connection per
/// request (LuatOS `luat_http_client.c`), so an exchange costs a round trip to set the connection
/// up and one for the request and its answer, plus its bodies at the link's rate.
public struct CellLinkTiming: Sendable, Equatable {
    public var roundTrip: Duration
    /// Bytes per second both ways; 0 = instant.
    public var bytesPerSecond: Int

    public init(roundTrip: Duration, bytesPerSecond: Int) {
        self.roundTrip = roundTrip
        self.bytesPerSecond = bytesPerSecond
    }

    public static let instant = CellLinkTiming(roundTrip: .zero, bytesPerSecond: 0)

    /// Connection set-up and the request body going out.
    public func outbound(sentBytes: Int) -> Duration { roundTrip + SimTiming.time(sentBytes, rate: bytesPerSecond) }
    /// The answer's round trip and its body coming in.
    public func inbound(receivedBytes: Int) -> Duration { roundTrip + SimTiming.time(receivedBytes, rate: bytesPerSecond) }
    /// One whole exchange (what the client pays per attempt, and what a forecast counts).
    public func exchange(sentBytes: Int, receivedBytes: Int) -> Duration {
        outbound(sentBytes: sentBytes) + inbound(receivedBytes: receivedBytes)
    }
}
