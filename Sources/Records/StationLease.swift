import Foundation

/// Who holds (or asks for) a station id's lease: a token unique to one start of the station, and
/// where it runs, so a message can say who is using the id and a start on the same machine can
/// see that the holder's process is gone.
public struct LeaseHolder: Sendable, Equatable {
    public var token: String
    public var host: String
    public var pid: Int

    public init(token: String = UUID().uuidString, host: String, pid: Int) {
        self.token = token
        self.host = host
        self.pid = pid
    }
}

/// A station id's lease as the store holds it.
public struct StationLease: Sendable, Equatable {
    public var stationID: String
    public var holder: LeaseHolder
    public var acquiredAt: Date
    /// The holder's last renewal: "last seen".
    public var heartbeatAt: Date

    public init(stationID: String, holder: LeaseHolder, acquiredAt: Date, heartbeatAt: Date) {
        self.stationID = stationID
        self.holder = holder
        self.acquiredAt = acquiredAt
        self.heartbeatAt = heartbeatAt
    }
}

/// What asking for a station id's lease gave.
public enum LeaseClaim: Sendable, Equatable {
    /// The lease is ours; `replaced` is the stale lease of an earlier holder it took over, if any.
    case acquired(replaced: StationLease?)
    /// Another holder's live lease: its last heartbeat is within the expiry.
    case heldElsewhere(StationLease)
}

/// How often a running station renews its lease, and how many renewals it may miss before the
/// lease is stale and another start may take the id over.
public struct LeaseTiming: Sendable, Equatable {
    /// A renewal every 5 s costs one UPDATE; a crashed station's id is free again 15 s later.
    public static let standardHeartbeat: Duration = .seconds(5)
    /// Three, so one slow write or a brief database stall never hands a live id to another start.
    public static let standardMissedHeartbeats = 3

    public let heartbeat: Duration
    public let missedHeartbeats: Int

    /// The station's timing: a heartbeat every 5 s, stale after 3 missed (15 s).
    public static let standard = LeaseTiming(checkedHeartbeat: standardHeartbeat, missed: standardMissedHeartbeats)

    /// For constants known to be in range.
    private init(checkedHeartbeat: Duration, missed: Int) {
        heartbeat = checkedHeartbeat
        missedHeartbeats = missed
    }

    /// Refuses a heartbeat that is not positive, fewer than one missed heartbeat, or an expiry too
    /// long to count in milliseconds.
    public init(heartbeat: Duration = standardHeartbeat, missedHeartbeats: Int = standardMissedHeartbeats) throws {
        guard heartbeat > .zero, missedHeartbeats >= 1 else {
            throw RecordsError(store: "lease", reason: "the heartbeat must be positive and at least one may be missed")
        }
        self.heartbeat = heartbeat
        self.missedHeartbeats = missedHeartbeats
        guard expiryMilliseconds != nil else {
            throw RecordsError(store: "lease", reason: "the lease expiry is too long")
        }
    }

    /// Heartbeat × missed heartbeats, in milliseconds; nil when it does not fit in 64 bits.
    public var expiryMilliseconds: Int64? {
        let (seconds, attoseconds) = heartbeat.components
        let (secondsMs, overflowA) = seconds.multipliedReportingOverflow(by: 1_000)
        let (oneMs, overflowB) = secondsMs.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        let (total, overflowC) = oneMs.multipliedReportingOverflow(by: Int64(missedHeartbeats))
        return overflowA || overflowB || overflowC ? nil : total
    }

    /// The expiry as a duration (a whole number of milliseconds).
    public var expiry: Duration { .milliseconds(expiryMilliseconds ?? Int64.max) }
}
