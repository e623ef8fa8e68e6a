import LuaImage

/// The QA script compiled once when the station starts: an error in it (or an image that would
/// not fit the script partition) is refused before any board is touched, and each board's image
/// then only adds its generated `qa_config.lua` (session URL, nonce, key).
public struct QAImageTemplate: Sendable {
    public let scriptFolder: String
    /// The station certificate the image trusts for the https check (nil: no https check).
    public let caPEM: String?
    private let compiled: CompiledScriptSet

    /// Compiles the folder's Lua sources. With `plan`, also builds one image for a board whose
    /// session values are as long as `QAImageTemplate.longestSessionURL` allows, so the generated
    /// config and the partition's capacity are checked now rather than at the first board.
    public init(scriptFolder: String, options: ScriptImageOptions, caPEM: String? = nil, checkingWith plan: QAPlan? = nil) throws {
        self.scriptFolder = scriptFolder
        self.caPEM = caPEM
        compiled = try CompiledScriptSet(inputs: try QAScriptImage.boardSources(in: scriptFolder), options: options)
        if let plan {
            _ = try image(for: Self.probeTicket(plan: plan, https: caPEM != nil))
        }
    }

    /// The same compiled script, trusting `caPEM` for the https check (a shared QA server's
    /// certificate is known only once the station has reached it).
    public func trusting(_ caPEM: String?) -> QAImageTemplate {
        QAImageTemplate(scriptFolder: scriptFolder, caPEM: caPEM, compiled: compiled)
    }

    private init(scriptFolder: String, caPEM: String?, compiled: CompiledScriptSet) {
        self.scriptFolder = scriptFolder
        self.caPEM = caPEM
        self.compiled = compiled
    }

    /// The image for one board's session.
    public func image(for ticket: QASessionTicket) throws -> ScriptImage {
        try compiled.image(adding: [QAScriptImage.configInput(ticket: ticket, caPEM: caPEM)])
    }

    /// The longest session URL the start-up check assumes: a public URL this long leaves room in
    /// any partition that held the probe image.
    static let longestSessionURL = 256

    /// A session shaped like those the server hands out, with the longest values.
    static func probeTicket(plan: QAPlan, https: Bool) -> QASessionTicket {
        let url = "http://" + String(repeating: "q", count: longestSessionURL - 7)
        return QASessionTicket(sessionID: String(repeating: "0", count: 32), boardID: "start-up check",
                               sessionURL: url, httpsSessionURL: https ? url : nil,
                               nonce: String(repeating: "0", count: 64), key: String(repeating: "0", count: 64), plan: plan)
    }
}
