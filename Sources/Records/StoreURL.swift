import Foundation

/// Opens a results store from the `--db` value: `sqlite:PATH` (or a bare path) or a
/// `postgres://` URL. The schema is migrated before the store is returned.
public enum StoreURL {
    /// The default store of a station: a SQLite file in the working directory.
    public static let defaultURL = "sqlite:provision-results.sqlite"

    public static func open(_ url: String) async throws -> SQLResultsStore {
        let database: any SQLDatabase
        if isPostgres(url) {
            database = try PostgresDatabase(url: url)
        } else {
            let path = try sqlitePath(url)
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
                throw RecordsError(store: url, reason: "folder \(folder) does not exist", isInputError: true)
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

    /// Opens an existing store only to read it (reports): a SQLite file is opened read-only and
    /// left byte for byte as it was, and one without the provision schema (a foreign database,
    /// an empty file) is refused rather than read as an empty store. A PostgreSQL store is
    /// opened as stations open it, migrations included: it is shared, and its stations migrate
    /// it anyway.
    public static func openForReading(_ url: String) async throws -> SQLResultsStore {
        if isPostgres(url) { return try await open(url) }
        let path = try sqlitePath(url)
        let database = try SQLiteDatabase(path: path, readOnly: true)
        let store = SQLResultsStore(database: database)
        do {
            guard try await database.hasProvisionSchema() else {
                throw RecordsError(store: url, reason: "not a provision results store (no provision schema)",
                                   isInputError: true)
            }
            guard try await store.schemaVersion() < Schema.latestVersion else { return store }
        } catch {
            await database.close()
            throw error
        }
        // An older store (written by an earlier version) is read through an upgraded private
        // copy: its runs keep their values and the new columns read as their defaults.
        await database.close()
        let upgraded = SQLResultsStore(database: try SQLiteDatabase.inMemoryCopy(of: path))
        try await upgraded.migrate()
        return upgraded
    }

    private static func isPostgres(_ url: String) -> Bool {
        url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")
    }

    /// The file of a `sqlite:PATH` (or bare path) URL.
    private static func sqlitePath(_ url: String) throws -> String {
        let path = url.hasPrefix("sqlite:") ? String(url.dropFirst("sqlite:".count)) : url
        guard !path.isEmpty, !path.contains("://") else {
            throw RecordsError(store: url, reason: "expected sqlite:PATH or postgres://user@host:port/db",
                               isInputError: true)
        }
        return path
    }
}
