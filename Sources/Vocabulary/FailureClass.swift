/// Why a board or one of its checks failed: the one vocabulary the QA verdict, the station's
/// steps, the results store, the reports and the webhook share. The raw value is what records,
/// reports and JSON carry (`no_network_attach`, `wrong_status:404`, `flash_failed`); it is
/// unchanged from the strings stores already hold, so no store migration is needed.
///
/// A struct over its stored string, not an enum: a store written by an older (or newer) station
/// may hold a class this build does not list, and a report must still read, group and print it
/// as it was stored; an enum would need an `other(String)` escape that every switch then has to
/// handle. Two classes carry a number (`http_library_error:-4`, `wrong_status:404`). The known
/// classes are the static members below, each described once in `catalogue`; nothing else in
/// the project spells a class.
public struct FailureClass: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// The stable machine name, as stored.
    public var description: String { rawValue }

    /// The class without its number: `wrong_status` for `wrong_status:404`.
    public var name: String { String(rawValue.prefix { $0 != ":" }) }

    /// The number a class like `wrong_status:404` carries.
    public var number: Int? {
        guard let colon = rawValue.firstIndex(of: ":") else { return nil }
        return Int(rawValue[rawValue.index(after: colon)...])
    }

    /// What the catalogue says of this class; nil for a class this build does not know.
    public var definition: Definition? { Self.definitions[name] }

    /// Whether this build knows the class (a stored value may predate or postdate it).
    public var isKnown: Bool { definition.map { $0.takesNumber == (number != nil) } ?? false }

    /// Whether trying the step again may help, unless the failing site knows better.
    public var retryableByDefault: Bool { definition?.retryable ?? false }

    /// Human wording, for an operator's line (`wrong status 404`).
    public var summary: String {
        guard let definition else { return rawValue }
        return number.map { "\(definition.label) \($0)" } ?? definition.label
    }

    /// Parses a class that must be known (a QA verdict, an operator's filter); throws naming the
    /// value and listing the known names otherwise.
    public init(validating text: String) throws(UnknownFailureClass) {
        self.init(rawValue: text)
        guard isKnown else { throw UnknownFailureClass(value: text) }
    }
}

/// A failure class this build does not know.
public struct UnknownFailureClass: Error, Sendable, Equatable, CustomStringConvertible {
    public let value: String
    public var description: String {
        "unknown failure class \"\(value)\"; known: " + FailureClass.catalogue.map(\.name).joined(separator: ", ")
    }
}
