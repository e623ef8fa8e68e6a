import Foundation
import Records
import Testing

/// The pool's and board data's CSV reader: RFC 4180 fields, and refusals that name file and line.
@Suite struct CSVTableTests {
    func parse(_ text: String) throws -> CSVTable { try CSVTable(bytes: Array(text.utf8), file: "rows.csv") }

    func refusal(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch let error as CSVError {
            return error.description
        } catch {
            return "not a CSVError: \(error)"
        }
    }

    @Test func quotedFieldsKeepCommasQuotesAndLineBreaks() throws {
        let table = try parse("id,cert,note\r\n1,\"-----BEGIN-----\nAAA,BBB\n-----END-----\",\"say \"\"hi\"\"\"\r\n2,,plain\r\n")
        #expect(table.header == ["id", "cert", "note"])
        #expect(table.rows.map(\.fields) == [["1", "-----BEGIN-----\nAAA,BBB\n-----END-----", "say \"hi\""], ["2", "", "plain"]])
        // Line numbers count the physical lines: row 2 starts on line 5 after a 3-line field.
        #expect(table.rows.map(\.line) == [2, 5])
        #expect(table.values(of: table.rows[1]) == ["id": "2", "cert": "", "note": "plain"])
    }

    @Test func aByteOrderMarkBlankLinesAndAMissingLastNewlineAreFine() throws {
        let table = try CSVTable(bytes: [0xEF, 0xBB, 0xBF] + Array("imei,key\n\n861,a\n\n862,b".utf8), file: "x.csv")
        #expect(table.header == ["imei", "key"])
        #expect(table.rows.map(\.fields) == [["861", "a"], ["862", "b"]])
        #expect(table.rows.map(\.line) == [3, 5])
    }

    @Test func badFilesAreRefusedNamingFileAndLine() throws {
        #expect(refusal("") == "rows.csv: empty: no header row")
        #expect(refusal("id,key\n1,a\n2,b,c\n") == "rows.csv:3: 3 field(s) where the header has 2")
        #expect(refusal("id,key\n1,\"open\n2,b\n") == "rows.csv:2: a quoted field is never closed")
        #expect(refusal("id,key\n1,ab\"c\n") == "rows.csv:2: a double quote inside an unquoted field (quote the whole field and double the quote)")
        #expect(refusal("id,key\n1,\"ab\"c\n") == "rows.csv:2: text after a closing double quote")
        #expect(refusal("id,,key\n") == "rows.csv:1: header column 2 has no name")
        #expect(refusal("id,key,id\n") == "rows.csv:1: header names column \"id\" twice")
        #expect(throws: CSVError.self) { try CSVTable(bytes: [0x69, 0x64, 0x0A, 0xFF, 0xFE], file: "bin.csv") }
        #expect(throws: CSVError.self) { try CSVTable(path: "/nonexistent/rows.csv") }
    }

    @Test func aPoolFileRefusesADuplicateOrEmptyIdBeforeAnythingIsWritten() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try await StoreURL.open("sqlite:" + folder.appendingPathComponent("r.sqlite").path)
        defer { Task { await store.close() } }
        let twice = try parse("id,key\na,1\nb,2\na,3\n")
        let error = await #expect(throws: CSVError.self) { try await store.importPoolRows(twice, pool: "p") }
        #expect(error?.description == "rows.csv:4: id \"a\" already on line 2")
        let empty = try parse("id,key\na,1\n ,2\n")
        let error2 = await #expect(throws: CSVError.self) { try await store.importPoolRows(empty, pool: "p") }
        #expect(error2?.description == "rows.csv:3: the id column is empty")
        let noID = try parse("serial,key\na,1\n")
        let error3 = await #expect(throws: CSVError.self) { try await store.importPoolRows(noID, pool: "p") }
        #expect(error3?.description == "rows.csv:1: no column \"id\" (columns: serial, key)")
        #expect(try await store.importPoolRows(noID, pool: "p", idColumn: "serial").added == 1)
        #expect(try await store.poolStatus(pool: "p").total == 1, "only the last import wrote anything")
    }
}
