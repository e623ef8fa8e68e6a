import Foundation

extension SQLResultsStore {
    /// The store's clock: the database server's for a store several stations share, so their
    /// leases are judged on one clock however far the station PCs' clocks drift apart; this
    /// host's for a store on this machine.
    public func storeTime() async throws -> Date {
        guard let query = database.serverClockQuery else { return Date() }
        let rows = try await database.fetch(SQLStatement(query), columns: [.int])
        guard case .int(let ms)? = rows.first?.first, ms > 0, ms < Int64(1) << 53 else {
            throw RecordsError(store: label, reason: "the server's clock gave no time")
        }
        return Date(timeIntervalSince1970: Double(ms) / 1000)
    }
}
