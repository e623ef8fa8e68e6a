/// Script files compiled once, to which a few small files are added each time an image is built:
/// the QA script is compiled (and any error in it refused) when the station starts, and each
/// board's image then only compiles its own generated config.
public struct CompiledScriptSet: Sendable {
    public let options: ScriptImageOptions
    private let inputs: [ScriptInput]
    /// What each input is stored as, by its index in `inputs`.
    private let stored: [(bytes: [UInt8], compiled: Bool)]

    /// Compiles every input now; a syntax error names its file.
    public init(inputs: [ScriptInput], options: ScriptImageOptions) throws {
        self.options = options
        self.inputs = inputs
        stored = try inputs.map { try ScriptImageBuilder.convert($0, options: options) }
    }

    /// The image of the compiled inputs plus `extra` (compiled here), with the same name, count
    /// and capacity checks as a one-shot build.
    public func image(adding extra: [ScriptInput]) throws -> ScriptImage {
        var cache: [String: (bytes: [UInt8], compiled: Bool)] = [:]
        for (input, bytes) in zip(inputs, stored) { cache[input.path + "\u{0}" + input.name] = bytes }
        return try ScriptImageBuilder.assemble(inputs + extra, options: options) { input in
            if let known = cache[input.path + "\u{0}" + input.name], !extra.contains(input) { return known }
            return try ScriptImageBuilder.convert(input, options: options)
        }
    }
}
