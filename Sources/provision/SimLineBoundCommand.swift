import ArgumentParser
import BoardSim
import EC618
import Firmware
import Foundation
import LuaImage
import QA
import SimulatedLine
import Station

/// `provision sim line-bound`: the best boards per hour a line of simulated slots can reach
/// under a timing model, from the same package, script, profile and QA plan the station would
/// use: the sum of each phase's lower bound per board (`BoardFlowForecast`), then
/// slots × 3600 ÷ that sum. `scripts/bench-station` measures the station against this number.
struct SimLineBound: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "line-bound",
        abstract: "Print the per-board lower bound of every phase and the line bound of simulated slots.")

    @Option(help: "The .soc firmware package.")
    var soc: String

    @Argument(help: "The production script files or folders (main.lua first).")
    var scripts: [String] = []

    @Option(help: "Board profile (name or path; default air780e).")
    var profile = "air780e"

    @Option(help: "Timing model: fast or realistic.")
    var timing: StationCommand.SimTimingChoice = .realistic

    @Option(help: "Slots of the line (repeatable; default 1).")
    var slots: [Int] = []

    @Flag(help: "Print only the per-board lower bound in seconds.")
    var seconds = false

    func run() async throws {
        do {
            let model: SimTiming = timing == .fast ? .fast : .realistic
            let forecast = BoardFlowForecast(timing: model, sizes: try sizes(timing: model))
            let perBoard = Self.seconds(forecast.perBoard)
            if seconds {
                print(String(format: "%.3f", perBoard))
                return
            }
            let row = { (name: String, value: Double) in
                print(name.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "%8.3f s", value))
            }
            for phase in forecast.phases { row(phase.name, Self.seconds(phase.lowerBound)) }
            row("per board", perBoard)
            for count in slots.isEmpty ? [1] : slots {
                try OptionBounds.check(count, "--slots", OptionBounds.simulatedBoards, "slots")
                print(String(format: "line bound, %d slot(s): %.1f boards/hour", count, forecast.lineBound(slots: count)))
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw fail(error)
        }
    }

    /// What one simulated board moves and waits for in the station's full flow.
    private func sizes(timing: SimTiming) throws -> BoardFlowForecast.Sizes {
        guard !scripts.isEmpty else { throw StationInputError("give the production script: provision sim line-bound --soc X.soc main.lua") }
        let package = try SocPackage.open(path: soc)
        let boardProfile = try Profile.load(profile)
        let options = try package.scriptImageOptions()
        let production = try ScriptImageBuilder.build(paths: scripts, options: options)
        guard let folder = QAScriptImage.defaultScriptFolder(board: boardProfile.name) else {
            throw StationInputError("no QA script folder profiles/\(boardProfile.name)/qa found")
        }
        let plan = QAPlan(profile: boardProfile)
        let qaImage = try QAImageTemplate(scriptFolder: folder, options: options).image(for: try Self.shortestTicket(plan: plan))
        let core = package.plan.images.filter { $0.kind != .script }
        let fullImages = core.map(\.size) + [qaImage.bytes.count]
        let entry = BootEntrySequence(profile: boardProfile)
        return BoardFlowForecast.Sizes(
            fullFlashBytes: fullImages.reduce(0, +),
            fullFlashEraseBlocks: fullImages.map(BoardFlowForecast.eraseBlocks(bytes:)).reduce(0, +),
            scriptFlashBytes: production.bytes.count,
            scriptFlashEraseBlocks: BoardFlowForecast.eraseBlocks(bytes: production.bytes.count),
            qaExchanges: Self.exchanges(plan),
            bootEntryBytes: entry.bytes,
            bootEntryHostPauses: entry.steps.reduce(.zero) { $0 + $1.wait },
            bootCheckWindow: StationRun.simulatedBootCheckWindow,
            swap: SimulatedFixture.swapPause(for: timing))
    }

    /// The QA script's HTTP exchanges with the bodies the plan fixes; bodies the plan does not
    /// size (form fields, JSON, the gzip answer's compressed size, the report) count as empty,
    /// which keeps the figure a lower bound. The report is one more exchange.
    static func exchanges(_ plan: QAPlan) -> [BoardFlowForecast.Exchange] {
        let checks = plan.checks.map { check -> BoardFlowForecast.Exchange in
            switch check {
            case .get, .https: return .init(sentBytes: 0, receivedBytes: plan.getBytes)
            case .multipartUpload: return .init(sentBytes: plan.uploadBytes, receivedBytes: 0)
            case .download: return .init(sentBytes: 0, receivedBytes: plan.downloadBytes)
            case .formPost, .jsonRoundtrip, .gzip: return .init(sentBytes: 0, receivedBytes: 0)
            }
        }
        let extra = plan.extraURLs.map { _ in BoardFlowForecast.Exchange(sentBytes: 0, receivedBytes: 0) }
        return checks + extra + [.init(sentBytes: 0, receivedBytes: 0)]
    }

    /// A session with the shortest values a server hands out: its image is no larger than any
    /// board's, so the full flash's bound stays a lower bound. The ticket is public only as
    /// Codable, as it travels between a shared QA server and its stations.
    static func shortestTicket(plan: QAPlan) throws -> QASessionTicket {
        struct Short: Encodable {
            // Session ids, nonces and keys have fixed lengths (hex); only the URL varies.
            let sessionID = String(repeating: "0", count: 32), boardID = ""
            let sessionURL = "http://q"
            let nonce = String(repeating: "0", count: 64), key = String(repeating: "0", count: 64)
            let plan: QAPlan
        }
        return try JSONDecoder().decode(QASessionTicket.self, from: JSONEncoder().encode(Short(plan: plan)))
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
