import BoardSim
import SimulatedLine
import Foundation
import Hotplug
import Records
import Station
import Testing

/// `station.toml`: a full file reads into the struct, slots keep the order they were written in,
/// and every bad value or unknown key is refused naming the file and the key.
@Suite struct StationConfigTests {
    static let full = """
        # Line 3, station 2
        [station]
        id = "line3-st2"
        profile = "air780e"
        store = "sqlite:/var/lib/provision/results.sqlite"
        report_folder = "/var/lib/provision/reports"
        report_formats = ["html", "junit"]
        webhook = "http://mes.local/hook"
        link = "usb"

        [qa]
        listen = "0.0.0.0:8080"
        public_urls = ["http://192.0.2.10:8080", "https://qa.example.net"]

        [slots]
        "1-1.2" = "A2"
        "1-1.10" = "B1"
        "1-1.1" = "A1"
        '2-3' = "C1"
        """

    @Test func fullFileReadsIntoTheStruct() throws {
        let config = try StationConfig.parse(Self.full, file: "station.toml")
        let expected = StationConfig(
            stationID: "line3-st2", profile: "air780e", store: "sqlite:/var/lib/provision/results.sqlite",
            reportFolder: "/var/lib/provision/reports", reportFormats: [.html, .junit],
            webhook: "http://mes.local/hook", link: .usb,
            qaListen: .init(host: "0.0.0.0", port: 8080),
            qaPublicURLs: ["http://192.0.2.10:8080", "https://qa.example.net"],
            slots: [.init(path: "1-1.2", label: "A2"), .init(path: "1-1.10", label: "B1"),
                    .init(path: "1-1.1", label: "A1"), .init(path: "2-3", label: "C1")])
        #expect(config == expected)
        #expect(config.qaPublicURL == "http://192.0.2.10:8080")
        #expect(config.slotLabels.byPath[try #require(PhysicalPath("1-1.10"))] == "B1")
        #expect(config.slotLabels.byPath.count == 4)
    }

    @Test func loadReadsTheFileAndNamesAMissingOne() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("station-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("station.toml").path
        try Data(Self.full.utf8).write(to: URL(fileURLWithPath: path))
        #expect(try StationConfig.load(path: path).stationID == "line3-st2")

        let missing = folder.appendingPathComponent("nope.toml").path
        let error = try #require(throws: StationConfigError.self) { try StationConfig.load(path: missing) }
        #expect(error.description == "\(missing): no such station config")
    }

    @Test func emptyFileIsTheDefaultConfig() throws {
        for text in ["", "# nothing yet\n", "[station]\n[qa]\n[slots]\n"] {
            let config = try StationConfig.parse(text, file: "station.toml")
            #expect(config == StationConfig())
            #expect(config.reportFormats == [.html])
            #expect(config.slots.isEmpty && config.qaPublicURLs.isEmpty && config.link == nil)
        }
    }

    /// scripts/fuzz (FuzzStationConfig), minimized: "[" then a newline made toml++ abort the
    /// station (an assertion in its table-header parser); it is a syntax error naming the line.
    @Test func tableHeaderWithoutAKeyIsASyntaxErrorNotAnAbort() throws {
        for (text, line) in [("[\n", 1), ("[station]\nid = \"a\"\n[\u{01}", 3), ("#\n[[\t\t[[\t\ttom", 2)] {
            let error = try #require(throws: StationConfigError.self) { try StationConfig.parse(text, file: "station.toml") }
            #expect(error.description.hasPrefix("station.toml: TOML syntax error at line \(line): a table header needs a key"))
        }
    }

    @Test func ipv6ListenAddressAndInlineSlots() throws {
        let config = try StationConfig.parse("""
            qa = { listen = "[::1]:0" }
            slots = { "3-2.4" = "Z", "3-2.1" = "Y" }
            """, file: "s.toml")
        #expect(config.qaListen == .init(host: "::1", port: 0))
        #expect(config.qaListen?.description == "[::1]:0")
        #expect(config.slots.map(\.label) == ["Z", "Y"])
    }

    @Test func simulatedHostsMapNamesToThisMachine() throws {
        let config = try StationConfig.parse("""
            [simulation]
            hosts = ["httpbin.air32.cn=127.0.0.1:8080", "www.air32.cn=[::1]:8443"]
            """, file: "s.toml")
        let network = try SimulatedNetwork().adding(config.simulationHosts)
        #expect(network.route(host: "httpbin.air32.cn", port: 80) == .connect(.init(host: "127.0.0.1", port: 8080)))
        #expect(network.route(host: "www.air32.cn", port: 443) == .connect(.init(host: "::1", port: 8443)))
        #expect(network.route(host: "other.example", port: 80) == .unknownName)
    }

    /// The form is checked when the file is read; where the address leads, when the simulated
    /// line is built from it (the station refuses to start then, naming the file).
    @Test func simulatedHostsOffThisMachineAreRefusedWhenTheLineIsBuilt() throws {
        let config = try StationConfig.parse("""
            [simulation]
            hosts = ["qa.example=10.0.0.1:80"]
            """, file: "s.toml")
        #expect(throws: SimulatedNetworkError.self) { try SimulatedNetwork().adding(config.simulationHosts) }
    }

    /// Each bad file, and words its error must contain (always the key), besides the file name.
    static let invalid: [(toml: String, mentions: [String])] = [
        ("[station]\ncolour = \"red\"\n", ["unknown key station.colour"]),
        ("[printer]\nx = 1\n", ["unknown key printer"]),
        ("[qa]\nlisten = \"0.0.0.0:80\"\ntls = true\n", ["unknown key qa.tls"]),
        ("[station]\nid = 7\n", ["station.id", "expected a string", "integer"]),
        ("[station]\nid = \"\"\n", ["station.id is empty"]),
        ("station = \"x\"\n", ["station", "expected a table"]),
        ("[station]\nlink = \"serial\"\n", ["station.link", "\"serial\"", "tty", "usb"]),
        ("[station]\nreport_formats = [\"html\", \"pdf\"]\n", ["station.report_formats", "\"pdf\""]),
        ("[station]\nreport_formats = \"html\"\n", ["station.report_formats", "expected an array"]),
        ("[station]\nreport_formats = []\n", ["station.report_formats lists no format"]),
        ("[station]\nreport_formats = [\"csv\", \"csv\"]\n", ["station.report_formats", "twice"]),
        ("[station]\nstore = \"mysql://db/x\"\n", ["station.store", "mysql://db/x"]),
        ("[station]\nstore = \"sqlite:\"\n", ["station.store", "names no store"]),
        ("[station]\nwebhook = \"ftp://mes.local/hook\"\n", ["station.webhook", "ftp://"]),
        ("[qa]\nlisten = \"8080\"\n", ["qa.listen", "HOST:PORT"]),
        ("[qa]\nlisten = \"0.0.0.0:65536\"\n", ["qa.listen", "65536"]),
        ("[qa]\nlisten = \":8080\"\n", ["qa.listen"]),
        ("[qa]\nlisten = \"::1:8080\"\n", ["qa.listen"]),
        ("[qa]\npublic_urls = [\"192.0.2.10:8080\"]\n", ["qa.public_urls", "192.0.2.10:8080"]),
        ("[qa]\nserver = \"ftp://qa.example\"\n", ["qa.server", "ftp://qa.example"]),
        ("[qa]\npublic_urls = [\"http://a\", 5]\n", ["qa.public_urls[1]", "expected a string"]),
        ("[slots]\n\"usb1\" = \"A1\"\n", ["slots.usb1", "not a USB path"]),
        ("[slots]\n\"1-1.3:1.2\" = \"A1\"\n", ["slots.\"1-1.3:1.2\"", "not a USB path"]),
        ("[slots]\n\"1-1.1\" = \"\"\n", ["slots.\"1-1.1\"", "label is empty"]),
        ("[slots]\n\"1-1.1\" = \"A1\"\n\"1-1.2\" = \"A1\"\n", ["slots.\"1-1.2\"", "\"A1\"", "already used by \"1-1.1\""]),
        ("[slots]\n\"1-1.1\" = 3\n", ["slots.\"1-1.1\"", "expected a label string"]),
        ("[slots]\n1-1.1 = \"A1\"\n", ["slots.1-1", "quote a USB path"]),
        ("[simulation]\nhost = [\"a=127.0.0.1:80\"]\n", ["unknown key simulation.host"]),
        ("[simulation]\nhosts = [\"qa.example\"]\n", ["simulation.hosts", "NAME=HOST:PORT"]),
        ("[simulation]\nhosts = \"a=127.0.0.1:80\"\n", ["simulation.hosts", "expected an array"]),
        ("[station\nid = \"x\"\n", ["TOML syntax error at line 1"]),
        ("[station]\nid = \"a\"\nid = \"b\"\n", ["TOML syntax error at line 3"]),
    ]

    @Test(arguments: invalid.indices)
    func invalidFileIsRefusedNamingFileAndKey(_ index: Int) {
        let (toml, mentions) = Self.invalid[index]
        let file = "/etc/provision/station-\(index).toml"
        do {
            let config = try StationConfig.parse(toml, file: file)
            Issue.record("accepted \(toml.debugDescription) as \(config)")
        } catch let error as StationConfigError {
            #expect(error.file == file)
            #expect(error.description.hasPrefix("\(file): "))
            for word in mentions {
                #expect(error.reason.contains(word), "\(error.reason.debugDescription) should mention \(word)")
            }
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
