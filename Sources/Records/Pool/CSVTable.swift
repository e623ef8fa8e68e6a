import Foundation

/// A CSV file read as RFC 4180 says: a header record naming the columns, then one record per
/// row; a field in double quotes may hold commas, quotes (doubled) and line breaks. Records end
/// with CRLF or LF. Written here rather than taken from a package because every refusal must
/// name the file and the line it is on, which the mirrored CSV packages do not report.
public struct CSVTable: Sendable, Equatable {
    /// One record after the header: the line it starts on (1-based) and its fields by column.
    public struct Row: Sendable, Equatable {
        public let line: Int
        public let fields: [String]
    }

    public let file: String
    public let header: [String]
    public let rows: [Row]

    /// Parses `bytes` (UTF-8, an optional byte-order mark) read from `file`.
    public init(bytes: [UInt8], file: String) throws {
        self.file = file
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        guard let text = String(validating: body, as: UTF8.self) else {
            throw CSVError(file: file, line: nil, reason: "not UTF-8 text")
        }
        let records = try Self.records(text, file: file)
        guard let first = records.first else { throw CSVError(file: file, line: nil, reason: "empty: no header row") }
        var seen = Set<String>()
        for (i, name) in first.fields.enumerated() {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else {
                throw CSVError(file: file, line: first.line, reason: "header column \(i + 1) has no name")
            }
            guard seen.insert(trimmed).inserted else {
                throw CSVError(file: file, line: first.line, reason: "header names column \"\(trimmed)\" twice")
            }
        }
        header = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        for record in records.dropFirst() where record.fields.count != header.count {
            throw CSVError(file: file, line: record.line,
                           reason: "\(record.fields.count) field(s) where the header has \(header.count)")
        }
        rows = Array(records.dropFirst())
    }

    /// Reads and parses the file at `path`.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CSVError(file: path, line: nil, reason: "cannot be read (missing or not a file)")
        }
        try self.init(bytes: Array(data), file: path)
    }

    /// The row's fields by column name.
    public func values(of row: Row) -> [String: String] {
        Dictionary(uniqueKeysWithValues: zip(header, row.fields))
    }

    /// The index of `column`, or an error naming the file and the columns it has.
    public func column(_ name: String) throws -> Int {
        guard let i = header.firstIndex(of: name) else {
            throw CSVError(file: file, line: 1, reason: "no column \"\(name)\" (columns: \(header.joined(separator: ", ")))")
        }
        return i
    }

    /// Splits `text` into records with the line each starts on. Blank lines between records are
    /// skipped (an editor's trailing newline is not a row).
    private static func records(_ text: String, file: String) throws -> [Row] {
        var out: [Row] = []
        var fields: [String] = []
        var field = ""
        var line = 1
        var recordLine = 1
        var quoted = false          // inside a quoted field
        var afterQuote = false      // a quoted field just closed: only a separator may follow
        var fieldStarted = false    // the current record has any character
        var quoteLine = 1
        var scalars = Array(text.unicodeScalars)[...]
        func endRecord() {
            fields.append(field)
            if fieldStarted || fields.count > 1 { out.append(Row(line: recordLine, fields: fields)) }
            fields = []
            field = ""
            fieldStarted = false
            afterQuote = false
        }
        while let c = scalars.popFirst() {
            if quoted {
                if c == "\"" {
                    if scalars.first == "\"" {
                        scalars.removeFirst()
                        field.unicodeScalars.append("\"")
                    } else {
                        quoted = false
                        afterQuote = true
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case ",":
                fields.append(field)
                field = ""
                afterQuote = false
                fieldStarted = true
            case "\r" where scalars.first == "\n":
                continue
            case "\n", "\r":
                endRecord()
                line += 1
                recordLine = line
            case "\"":
                guard field.isEmpty, !afterQuote else {
                    throw CSVError(file: file, line: line, reason: "a double quote inside an unquoted field "
                                   + "(quote the whole field and double the quote)")
                }
                quoted = true
                quoteLine = line
                fieldStarted = true
            default:
                guard !afterQuote else {
                    throw CSVError(file: file, line: line, reason: "text after a closing double quote")
                }
                if !fieldStarted { recordLine = line }
                field.unicodeScalars.append(c)
                fieldStarted = true
            }
        }
        if quoted { throw CSVError(file: file, line: quoteLine, reason: "a quoted field is never closed") }
        if fieldStarted || !fields.isEmpty { endRecord() }
        return out
    }
}

/// A CSV file refused: names the file and, where there is one, the line.
public struct CSVError: Error, Equatable, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int?
    public let reason: String

    public init(file: String, line: Int?, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(reason)" }
}
