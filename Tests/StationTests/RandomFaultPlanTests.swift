import BoardSim
import SimulatedLine
import Testing
import Vocabulary

/// `--sim-faults random:SEED:RATE`: repeatable per seed and board, every kind reachable, and a
/// drawn point always where the fault acts.
@Suite struct RandomFaultPlanTests {
    static let session = RandomFaultPlan.Session(planBytes: 1_500_000, agentBootBytes: 40_000, images: 4)

    @Test func theSameSeedDrawsTheSameFaultsAndAnotherSeedOthers() {
        let a = RandomFaultPlan(seed: 5, rate: 0.5), b = RandomFaultPlan(seed: 6, rate: 0.5)
        let drawA = (1...300).map { a.fault(board: $0, session: Self.session)?.description }
        #expect(drawA == (1...300).map { a.fault(board: $0, session: Self.session)?.description })
        #expect(drawA != (1...300).map { b.fault(board: $0, session: Self.session)?.description })
        // Board N's fault does not depend on which boards were drawn before it.
        #expect(a.fault(board: 250, session: Self.session) == a.fault(board: 250, session: Self.session))
        let faulty = drawA.compactMap { $0 }.count
        #expect((100...200).contains(faulty), "about half of 300 boards at rate 0.5: \(faulty)")
        #expect((1...300).allSatisfy { RandomFaultPlan(seed: 5, rate: 0).fault(board: $0, session: Self.session) == nil })
    }

    @Test func everyKindOfEveryVocabularyIsDrawnAndHasAnOutcome() {
        let plan = RandomFaultPlan(seed: 1, rate: 1)
        let drawn = (1...2_000).compactMap { plan.fault(board: $0, session: Self.session) }
        let kinds = Set(drawn.map(\.kind))
        #expect(kinds.count == FaultPlan.Kind.allCases.count + SimulatedBoardFault.allCases.count
                + NetworkFaults.Kind.allCases.count)
        #expect(Set(RandomFaultPlan.kinds) == kinds)
        // Read back or not decides only what a bit lost after its ACK ends in.
        let differ = drawn.filter { $0.expected(readBack: true) != $0.expected(readBack: false) }
        #expect(Set(differ.map(\.kind)) == [.session(.flipBit), .board(.flipsFlashBit)])
        #expect(drawn.first { $0.kind == .session(.stallAfter) }?.expected(readBack: true) == .fails(.flashRetryable))
        #expect(drawn.first { $0.kind == .session(.nakBlock) }?.expected(readBack: true) == .passesAfterRetry)
    }

    @Test func drawnPointsFallWhereTheFaultActs() {
        let plan = RandomFaultPlan(seed: 9, rate: 1)
        let s = Self.session
        for board in 1...2_000 {
            guard case .session(_, let faults) = plan.fault(board: board, session: s) else { continue }
            for offset in [faults.dropByte, faults.corruptByte, faults.stallAfter, faults.disconnectAfter].compactMap({ $0 }) {
                #expect(offset >= s.agentBootBytes + 65_536 && offset < s.agentBootBytes + s.planBytes, "\(faults)")
            }
            if let nak = faults.nakBlock {
                #expect(nak.index >= 1 && nak.index <= s.planBytes / 16_384 && (1...3).contains(nak.times), "\(faults)")
            }
            if let n = faults.burnStatusFailure { #expect((1...s.images).contains(n)) }
            if let n = faults.flipBit { #expect(n < s.planBytes / 2) }
        }
    }

    @Test func aPlanIsParsedOrRefusedWithItsReason() throws {
        #expect(try RandomFaultPlan(spec: "random:42:0.25") == RandomFaultPlan(seed: 42, rate: 0.25))
        for (spec, reason) in [("random:1", "expected random:SEED:RATE"), ("random:x:0.1", "seed 'x'"),
                               ("random:1:nan", "rate 'nan'"), ("random:1:-0.1", "rate '-0.1'")] {
            let error = try #require(throws: RandomFaultPlanError.self) { try RandomFaultPlan(spec: spec) }
            #expect(error.description.hasPrefix("--sim-faults \(spec): \(reason)"), "\(error)")
        }
    }
}
