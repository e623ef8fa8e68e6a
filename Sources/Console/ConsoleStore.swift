import Foundation
import Records

/// The results store as the console reads it (board pages, IMEIs) and writes slot states to it:
/// opened on first use, so a console never stands between the station and its own store (which
/// the station opens, checks and migrates first), and a store that is down only leaves the page
/// without those details.
actor ConsoleStore {
    let url: String
    private var store: SQLResultsStore?

    init(url: String) {
        self.url = url
    }

    func open() async throws -> SQLResultsStore {
        if let store { return store }
        let opened = try await StoreURL.open(url)
        store = opened
        return opened
    }

    func close() async {
        await store?.close()
        store = nil
    }
}
