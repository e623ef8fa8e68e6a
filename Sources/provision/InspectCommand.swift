import ArgumentParser
import Firmware

/// `provision inspect FILE.soc`: what a firmware package holds and the plan it gives.
struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a .soc firmware package (chip, versions, partitions, images, AgentBoot) or what a littlefs image holds.")

    @Argument(help: "The .soc firmware package, or a littlefs image (an fskv or LittleFS region).")
    var soc: String

    @Option(name: .customLong("agentboot"), help: "AgentBoot file to use instead of the one inside the .soc.")
    var agentBoot: String?

    @Flag(help: "Print one stable JSON document instead of the table.")
    var json = false

    func run() async throws {
        do {
            if let image = try LittleFSInspectReport.readIfLittleFS(soc) {
                print(json ? try image.json() : image.text())
                return
            }
            let package = try SocPackage.open(path: soc, agentBootPath: agentBoot)
            let report = InspectReport(package)
            print(json ? try report.json() : report.text())
        } catch {
            throw fail(error)
        }
    }
}
