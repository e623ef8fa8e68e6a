import ArgumentParser
import Foundation
import Records

/// `provision pool …`: the store's pools of per-board rows (device keys, client ids), one row
/// per board.
struct PoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool",
        abstract: "Import per-board rows into the results store's pools, and show what is left.",
        subcommands: [PoolImport.self, PoolStatusCommand.self])
}

/// `provision pool import FILE.csv --name NAME --db URL`.
struct PoolImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Add a CSV file's rows to a pool (a header row names the columns; rows already there are skipped).")

    @Argument(help: "The CSV file: a header row, then one row per board.")
    var file: String

    @Option(help: "The pool's name (default: the file's name without .csv).")
    var name: String?

    @Option(name: .customLong("id-column"), help: "The column that identifies a row (default \(PoolDefaults.idColumn)).")
    var idColumn: String = PoolDefaults.idColumn

    @OptionGroup var store: StoreOption

    func run() async throws {
        do {
            let table = try CSVTable(path: file)
            _ = try table.column(idColumn)
            let pool = name ?? ((file as NSString).lastPathComponent as NSString).deletingPathExtension
            guard !pool.trimmingCharacters(in: .whitespaces).isEmpty else { throw StationInputError("--name is empty") }
            let store = try await StoreURL.open(store.db ?? StoreURL.defaultURL)
            do {
                let result = try await store.importPoolRows(table, pool: pool, idColumn: idColumn)
                let status = try await store.poolStatus(pool: pool)
                await store.close()
                print("pool \(pool): \(result.added) row(s) imported from \(file)"
                      + (result.skipped.isEmpty ? "" : ", \(result.skipped.count) already there (skipped)"))
                print(PoolStatusCommand.line(status))
            } catch {
                await store.close()
                throw error
            }
        } catch {
            throw fail(error)
        }
    }
}

/// `provision pool status --db URL`.
struct PoolStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Rows available, claimed (boards in flight) and kept (boards passed), per pool.")

    @Option(help: "Only this pool.")
    var name: String?

    @Flag(help: "One JSON object per pool.")
    var json = false

    @OptionGroup var store: StoreOption

    func run() async throws {
        do {
            let db = store.db ?? StoreURL.defaultURL
            if !db.contains("://") {
                let path = db.hasPrefix("sqlite:") ? String(db.dropFirst("sqlite:".count)) : db
                guard FileManager.default.fileExists(atPath: path) else {
                    throw StationInputError("\(db): no such results store")
                }
            }
            let store = try await StoreURL.openForReading(db)
            let pools: [PoolStatus]
            do {
                pools = try await store.poolStatus(pool: name)
            } catch {
                await store.close()
                throw error
            }
            await store.close()
            if let name, pools.isEmpty { throw StationInputError("\(db): no pool \(name)") }
            if pools.isEmpty { print("no pools in \(db)") }
            for status in pools {
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys]
                    print(String(decoding: try encoder.encode(status), as: UTF8.self))
                } else {
                    print(Self.line(status))
                }
            }
        } catch {
            throw fail(error)
        }
    }

    static func line(_ s: PoolStatus) -> String {
        "pool \(s.pool): \(s.available) available, \(s.claimed) claimed, \(s.kept) kept (\(s.total) rows)"
    }
}
