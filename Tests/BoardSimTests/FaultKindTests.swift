import BoardSim
import Testing

/// The fault names a SPEC may use are one list: the parser takes each of them, refuses anything
/// else listing them, and prints a plan back in the same names.
@Suite struct FaultKindTests {
    @Test func everyKindParsesAndPrintsBackUnderItsName() throws {
        let spec = FaultPlan.Kind.allCases.map { "\($0.rawValue)=\($0 == .nakBlock ? "3x2" : "5")" }.joined(separator: ",")
        let plan = try FaultPlan(spec: spec)
        #expect(plan.description == spec)
        #expect(FaultPlan.Kind.help.split(separator: "\n").count == FaultPlan.Kind.allCases.count)
    }

    @Test func anUnknownKindIsRefusedListingTheKnownOnes() throws {
        let error = try #require(throws: FaultSpecError.self) { try FaultPlan(spec: "nak-blok=3") }
        #expect(error.description == "fault spec 'nak-blok=3': unknown fault 'nak-blok' (\(FaultPlan.Kind.names))")
        #expect(FaultPlan.Kind.allCases.allSatisfy { error.description.contains($0.rawValue) }, "\(error)")
    }

    @Test func aBoardFaultBecomesItsDownloadSessionFaults() {
        let plan = Set<SimulatedBoardFault>([.nakBlock, .unplugMidFlash]).flashFaults(planBytes: 1000)
        #expect(plan.description == "nak-block=3x1,disconnect-after=500")
        #expect(Set<SimulatedBoardFault>([.flipsFlashBit]).flashFaults(planBytes: 900).flipBit == 300)
        #expect(Set<SimulatedBoardFault>([.noNetwork]).flashFaults(planBytes: 1000) == .none)
    }

    @Test func networkFaultsParseFromTheirOneListAndRefuseListingIt() throws {
        var faults = NetworkFaults()
        for spec in ["no-attach", "drop=/get", "alter-upload", "corrupt-download", "latency=40"] {
            try faults.add(spec) { .milliseconds($0) }
        }
        #expect(faults.noAttach && faults.dropConnectionsMatching == "/get" && faults.extraLatency == .milliseconds(40))
        #expect(faults.alterRequestBodyMatching == "/upload" && faults.corruptResponseBodyMatching == "/download")
        for bad in ["gremlins", "drop", "latency=soon", "no-attach=1"] {
            let error = try #require(throws: NetworkFaultSpecError.self) { try faults.add(bad) { .milliseconds($0) } }
            #expect(error.description == "--fault \(bad): unknown fault; one of "
                    + "no-attach | drop=TEXT | alter-upload | corrupt-download | latency=MS")
        }
    }
}
