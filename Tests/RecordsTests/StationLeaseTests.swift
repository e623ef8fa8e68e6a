import Foundation
@testable import Records
import Testing
import TestSupport

/// One lease per station id: a live holder keeps it, a stale one (no heartbeat within the expiry)
/// loses it to the next claim, a holder known to be gone loses it at once — on SQLite and
/// PostgreSQL, with every time passed in (no waiting for an expiry).
@Suite(.serialized) struct StationLeaseTests {
    private static let t0 = Date(timeIntervalSince1970: 1_790_000_000)
    private static let a = LeaseHolder(token: "token-a", host: "host-1", pid: 101)
    private static let b = LeaseHolder(token: "token-b", host: "host-2", pid: 202)
    private static let c = LeaseHolder(token: "token-c", host: "host-3", pid: 303)

    static func exercise(_ store: SQLResultsStore) async throws {
        let timing = try LeaseTiming(heartbeat: .seconds(5), missedHeartbeats: 3)   // stale after 15 s
        func claim(_ holder: LeaseHolder, at seconds: Double, replacing: String? = nil) async throws -> LeaseClaim {
            try await store.claimLease(stationID: "st-1", holder: holder, now: t0 + seconds, timing: timing,
                                       replacing: replacing)
        }
        #expect(try await claim(a, at: 0) == .acquired(replaced: nil))
        #expect(try await claim(a, at: 1) == .acquired(replaced: nil), "claiming one's own lease again is fine")

        // B within the expiry: refused, told who holds it and when it was last seen.
        guard case .heldElsewhere(let live) = try await claim(b, at: 10) else {
            Issue.record("a live lease was taken over"); return
        }
        #expect(live.holder == a)
        #expect(live.heartbeatAt == t0)
        // A renews at 12 s: still live at 26 s (12 + 15 = 27).
        #expect(try await store.renewLease(stationID: "st-1", holderToken: a.token, now: t0 + 12))
        guard case .heldElsewhere(let renewed) = try await claim(b, at: 26) else {
            Issue.record("a renewed lease was taken over"); return
        }
        #expect(renewed.heartbeatAt == t0 + 12)

        // Three heartbeats missed: B takes it over and is told whose it was.
        guard case .acquired(let replaced) = try await claim(b, at: 28) else {
            Issue.record("a stale lease was not taken over"); return
        }
        #expect(replaced?.holder == a)
        #expect(replaced?.heartbeatAt == t0 + 12)
        // A comes back from its stall: its renewal says the lease is gone, and its release leaves B's.
        #expect(try await store.renewLease(stationID: "st-1", holderToken: a.token, now: t0 + 29) == false)
        try await store.releaseLease(stationID: "st-1", holderToken: a.token)
        #expect(try await store.lease(stationID: "st-1")?.holder == b)

        // A holder known to be gone is replaced without waiting; an unrelated id is untouched.
        #expect(try await store.claimLease(stationID: "st-2", holder: a, now: t0 + 29, timing: timing,
                                           replacing: nil) == .acquired(replaced: nil))
        guard case .acquired(let dead) = try await claim(c, at: 29, replacing: b.token) else {
            Issue.record("a gone holder's lease was not replaced"); return
        }
        #expect(dead?.holder == b)
        #expect(try await store.lease(stationID: "st-2")?.holder == a)

        // A clean stop frees the id at once.
        try await store.releaseLease(stationID: "st-1", holderToken: c.token)
        #expect(try await store.lease(stationID: "st-1") == nil)
        #expect(try await claim(b, at: 30) == .acquired(replaced: nil))
    }

    @Test func sqliteLeaseIsRefusedWhileLiveAndTakenOverWhenStale() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lease-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try await StoreURL.open("sqlite:" + folder.appendingPathComponent("r.sqlite").path)
        try await Self.exercise(store)
        await store.close()
    }

    @Test func postgresLeaseIsRefusedWhileLiveAndTakenOverWhenStale() async throws {
        try await PostgresServer.withStore("StationLeaseTests") { try await Self.exercise($0) }
    }

    @Test func timingIsCheckedAndNamed() throws {
        #expect(LeaseTiming.standard.expiry == .seconds(15))
        #expect(throws: RecordsError.self) { try LeaseTiming(heartbeat: .zero) }
        #expect(throws: RecordsError.self) { try LeaseTiming(missedHeartbeats: 0) }
        #expect(throws: RecordsError.self) { try LeaseTiming(heartbeat: .seconds(Int64.max / 2)) }
    }
}
