/// Script files compiled once, to which a few small files are added each time an image is built:
/// the QA script is compiled (and any error in it refused) when the station starts, and each
/// board's image then only compiles its own generated config.
public struct CompiledScriptSet: Sendable {
    public let options: ScriptImageOptions
    private let inputs: [ScriptInput]
    /// What each input is stored as, by its path and name (the image's plan reorders inputs).
    private let stored: [String: (bytes: [UInt8], compiled: Bool)]

    /// Compiles every input now; a syntax error names its file.
    public init(inputs: [ScriptInput], options: ScriptImageOptions) throws {
        self.options = options
        self.inputs = inputs
        var stored: [String: (bytes: [UInt8], compiled: Bool)] = [:]
        for input in inputs { stored[Self.key(input)] = try ScriptImageBuilder.convert(input, options: options) }
        self.stored = stored
    }

    /// The image of the compiled inputs plus `extra` (compiled here), with the same name, count
    /// and capacity checks as a one-shot build; an extra that clashes with a compiled input is
    /// refused by those checks before anything is looked up.
    public func image(adding extra: [ScriptInput]) throws -> ScriptImage {
        try ScriptImageBuilder.assemble(inputs + extra, options: options) { input in
            try stored[Self.key(input)] ?? ScriptImageBuilder.convert(input, options: options)
        }
    }

    private static func key(_ input: ScriptInput) -> String { input.path + "\u{0}" + input.name }
}
