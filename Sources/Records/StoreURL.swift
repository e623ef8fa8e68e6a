import Foundation

/// Opens a results store from the `--db` value: `sqlite:PATH` (or a bare path) or a
/// `postgres://` URL. The schema is migrated before the store is returned.
public enum StoreURL {
    /// The default store of a station: a SQLite file in the working directory.
    public static let defaultURL = "sqlite:provision-results.sqlite"

    public static func open(_ url: String) async throws -> SQLResultsStore {
        let database: any SQLDatabase
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            database = try PostgresDatabase(url: url)
        } else {
            let path = url.hasPrefix("sqlite:") ? String(url.dropFirst("sqlite:".count)) : url
            guard !path.isEmpty, !path.contains("://") else {
                throw RecordsError(store: url, reason: "expected sqlite:PATH or postgres://user@host:port/db",
                                   isBadInput: true)
            }
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
                throw RecordsError(store: url, reason: "folder \(folder) does not exist", isBadInput: true)
            }
            database = try SQLiteDatabase(path: path)
        }
        let store = SQLResultsStore(database: database)
        do {
            try await store.migrate()
        } catch {
            await store.close()
            throw error
        }
        return store
    }
}
