/// The station config's names for its fixture slots: physical path → label.
public struct SlotLabels: Sendable, Equatable {
    public var byPath: [PhysicalPath: String]

    public init(_ byPath: [PhysicalPath: String] = [:]) {
        self.byPath = byPath
    }

    /// Parses `PATH=LABEL` entries (as given on the command line); returns the first bad
    /// entry's reason on failure.
    public static func parse(_ entries: [String]) throws -> SlotLabels {
        var labels: [PhysicalPath: String] = [:]
        for entry in entries {
            guard let eq = entry.firstIndex(of: "="),
                  let path = PhysicalPath(String(entry[..<eq])),
                  !entry[entry.index(after: eq)...].isEmpty
            else { throw SlotLabelError(entry: entry) }
            labels[path] = String(entry[entry.index(after: eq)...])
        }
        return SlotLabels(labels)
    }

    /// The slot at `path`: its configured label, or the path itself.
    public func slot(at path: PhysicalPath) -> Slot {
        Slot(path: path, label: byPath[path] ?? path.rawValue)
    }
}

/// A slot label entry that is not `PATH=LABEL` with a sysfs USB path like `1-1.3`.
public struct SlotLabelError: Error, CustomStringConvertible, Equatable {
    public let entry: String
    public var description: String {
        "slot label '\(entry)': expected PATH=LABEL with a USB path such as 1-1.3"
    }
}
