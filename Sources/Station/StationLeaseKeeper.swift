import Foundation
import Glibc
import Records

/// A start found its station id held by another live station: the id is in use. Bad input — the
/// operator picks another `--station-id` (or stops the other station).
public struct StationIDInUse: Error, Equatable, Sendable, CustomStringConvertible {
    public let lease: StationLease
    /// The time the check was made, so "last seen … ago" is the store's view, not a guess.
    public let checkedAt: Date

    public var description: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let ago = max(0, checkedAt.timeIntervalSince(lease.heartbeatAt))
        return "station id \"\(lease.stationID)\" is in use by a running station (\(lease.holder.host), pid "
            + "\(lease.holder.pid)), last seen \(formatter.string(from: lease.heartbeatAt)) "
            + "(\(String(format: "%.1f", ago)) s ago); choose another --station-id"
    }
}

/// Holds this station's lease on its id in the results store for as long as it runs.
///
/// Start: claim the lease; a live lease of another holder refuses the start; a stale one (no
/// heartbeat within `timing.expiry`) or one whose process is known to be gone (same host, no such
/// pid — a station killed a moment ago need not wait out the expiry) is taken over, and only then
/// are that id's `running` rows marked interrupted: while the holder lives they are its boards.
/// Then `heartbeat()` renews it every `timing.heartbeat`; a clean stop releases it.
///
/// Time comes from `now` (the store's clock on a line, so stations on PCs whose clocks differ
/// judge leases alike), so tests pass timestamps instead of waiting for an expiry.
public actor StationLeaseKeeper {
    public let stationID: String
    public let holder: LeaseHolder
    public let timing: LeaseTiming
    private let store: any ResultsStore
    private let now: @Sendable () async throws -> Date
    private let processIsGone: @Sendable (LeaseHolder) -> Bool
    private var beating: Task<Void, Never>?
    private var held = false

    public init(store: any ResultsStore, stationID: String, holder: LeaseHolder, timing: LeaseTiming,
                now: @escaping @Sendable () async throws -> Date = { Date() },
                processIsGone: @escaping @Sendable (LeaseHolder) -> Bool = StationLeaseKeeper.localProcessIsGone) {
        self.store = store
        self.stationID = stationID
        self.holder = holder
        self.timing = timing
        self.now = now
        self.processIsGone = processIsGone
    }

    /// This process, on this host, with a fresh token.
    public static func thisProcess() -> LeaseHolder {
        LeaseHolder(host: ProcessInfo.processInfo.hostName, pid: Int(getpid()))
    }

    /// Whether `holder` ran on this host as a process that no longer exists. Another host's
    /// process cannot be checked: its lease must expire. A reused pid reads as alive, which only
    /// means waiting for the expiry.
    public static func localProcessIsGone(_ holder: LeaseHolder) -> Bool {
        guard holder.host == ProcessInfo.processInfo.hostName, let pid = pid_t(exactly: holder.pid), pid > 0,
              pid != getpid() else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// Claims the lease, then marks the runs an earlier holder left `running` as interrupted.
    /// Returns how many were marked; throws `StationIDInUse` when another station holds the id.
    public func start() async throws -> Int {
        let at = try await now()
        var claim = try await store.claimLease(stationID: stationID, holder: holder, now: at, timing: timing,
                                               replacing: nil)
        if case .heldElsewhere(let other) = claim, processIsGone(other.holder) {
            claim = try await store.claimLease(stationID: stationID, holder: holder, now: at, timing: timing,
                                               replacing: other.holder.token)
        }
        if case .heldElsewhere(let other) = claim {
            throw StationIDInUse(lease: other, checkedAt: at)
        }
        held = true
        return try await store.markInterruptedRuns(stationID: stationID, at: at)
    }

    /// One renewal at `now()`. False when the lease is no longer ours (another start took it over
    /// after we missed `timing.missedHeartbeats` renewals).
    public func renew() async throws -> Bool {
        try await store.renewLease(stationID: stationID, holderToken: holder.token, now: try await now())
    }

    /// Renews every `timing.heartbeat` until `release()`. `lost` is called once if the lease was
    /// taken over; `trouble` for each renewal the store refused (the next one tries again).
    public func heartbeat(lost: @escaping @Sendable () async -> Void,
                          trouble: @escaping @Sendable (Error) async -> Void) {
        guard beating == nil, held else { return }
        let interval = timing.heartbeat
        beating = Task {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                do {
                    if try await self.renew() == false {
                        await lost()
                        return
                    }
                } catch {
                    if Task.isCancelled { return }
                    await trouble(error)
                }
            }
        }
    }

    /// Stops renewing and frees the id (only if it is still ours).
    public func release() async {
        beating?.cancel()
        await beating?.value
        beating = nil
        guard held else { return }
        held = false
        try? await store.releaseLease(stationID: stationID, holderToken: holder.token)
    }
}
