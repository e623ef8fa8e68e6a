import Foundation
@testable import Records
import Testing
import Vocabulary

/// The one `FailureClass` type keeps the strings stores already hold: every class, and one this
/// build does not know (an older or newer station wrote it), is stored and read back unchanged.
@Suite struct FailureClassStoreTests {
    /// Every class of the catalogue, numbered ones with a sample number, and an unknown one.
    static let classes: [FailureClass] = FailureClass.catalogue.map { definition in
        definition.takesNumber ? FailureClass(rawValue: "\(definition.name):-4") : FailureClass(rawValue: definition.name)
    } + [.wrongStatus(code: 404), FailureClass(rawValue: "class_of_an_older_station")]

    @Test func everyClassRoundTripsThroughSQLiteUnchanged() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("classes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("results.sqlite").path
        let store = try await StoreURL.open("sqlite:\(path)")
        try await store.ensureBatch(BatchInfo(name: "classes"))
        for (i, failureClass) in Self.classes.enumerated() {
            let id = "run-\(i)"
            try await store.startRun(RunStart(runID: id, batch: "classes", stationID: "st", slotPath: "1-\(i)",
                                              slotLabel: "A\(i)"))
            try await store.recordCheck(runID: id, CheckRecord(name: "get", passed: false, durationMs: 1,
                                                               failureClass: failureClass))
            try await store.finishRun(RunFinish(runID: id, status: .fail, failureClass: failureClass, failurePhase: "qa"))
        }
        let runs = try await store.runs(RunQuery(batch: "classes")).sorted { $0.slotLabel.count == $1.slotLabel.count
            ? $0.slotLabel < $1.slotLabel : $0.slotLabel.count < $1.slotLabel.count }
        #expect(runs.map(\.failureClass) == Self.classes)
        #expect(runs.map { $0.checks.first?.failureClass } == Self.classes)
        await store.close()

        // The column holds the bare string, as stores written before the type existed do.
        let raw = try SQLiteDatabase(path: path)
        let stored = try await raw.fetch(SQLStatement("SELECT failure_class FROM runs ORDER BY started_at, id"),
                                         columns: [.text]).compactMap { $0[0].text }
        #expect(Set(stored) == Set(Self.classes.map(\.rawValue)))
        await raw.close()
    }

    @Test func theCatalogueNamesEachClassOnceAndKnowsItsNumberedForms() throws {
        let names = FailureClass.catalogue.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(FailureClass.wrongStatus(code: 404).rawValue == "wrong_status:404")
        #expect(FailureClass.wrongStatus(code: 404).isKnown && FailureClass.wrongStatus(code: 404).number == 404)
        #expect(FailureClass.httpLibraryError(code: -4).summary == "HTTP library error -4")
        #expect(FailureClass.stepError(.flashFull).rawValue == "flash_full_error" && FailureClass.stepError(.flashFull).isKnown)
        #expect(FailureClass.boardReset.retryableByDefault && !FailureClass.contentMismatch.retryableByDefault)
        #expect(!FailureClass(rawValue: "wrong_status").isKnown, "a numbered class needs its number")
        let unknown = try #require(throws: UnknownFailureClass.self) { try FailureClass(validating: "flash_nak") }
        #expect(unknown.description.contains("unknown failure class \"flash_nak\"; known: no_network_attach"))
        // JSON (reports, webhook) carries the bare string too.
        let json = try JSONEncoder().encode([FailureClass.unplugged])
        #expect(String(decoding: json, as: UTF8.self) == #"["unplugged"]"#)
        #expect(try JSONDecoder().decode([FailureClass].self, from: json) == [.unplugged])
    }
}
