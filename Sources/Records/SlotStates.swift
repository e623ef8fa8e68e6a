import Foundation

/// One slot of one station as the station's console last showed it (schema v9, `slot_states`):
/// a JSON document Records does not read, and when it was written.
public struct StoredSlotState: Sendable, Equatable {
    public let stationID: String
    public let slot: String
    public let state: String
    public let updatedAt: Date

    public init(stationID: String, slot: String, state: String, updatedAt: Date) {
        self.stationID = stationID
        self.slot = slot
        self.state = state
        self.updatedAt = updatedAt
    }
}

extension SQLResultsStore {
    /// Keeps the slot's state (replacing the one before it).
    public func putSlotState(_ state: StoredSlotState) async throws {
        try await database.transaction([SQLStatement(
            """
            INSERT INTO slot_states (station_id, slot, state, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (station_id, slot) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
            """,
            [.text(state.stationID), .text(state.slot), .text(state.state), .time(state.updatedAt)])])
    }

    /// Forgets a station's slots (a new start of the station shows only the slots it has).
    public func deleteSlotStates(stationID: String) async throws {
        try await database.transaction([SQLStatement(
            "DELETE FROM slot_states WHERE station_id = ?", [.text(stationID)])])
    }

    /// Every station's slots, by station then slot.
    public func slotStates() async throws -> [StoredSlotState] {
        let rows = try await database.fetch(SQLStatement(
            "SELECT station_id, slot, state, updated_at FROM slot_states ORDER BY station_id, slot"),
            columns: [.text, .text, .text, .int])
        return rows.compactMap { row in
            guard let station = row[0].text, let slot = row[1].text, let state = row[2].text,
                  let at = row[3].int else { return nil }
            return StoredSlotState(stationID: station, slot: slot, state: state,
                                   updatedAt: Date(timeIntervalSince1970: Double(at) / 1000))
        }
    }
}
