import BoardSim
import Firmware

/// `--sim-faults random:SEED:RATE`: each simulated board gets, with probability RATE, one fault
/// drawn from every kind the simulator knows (the download session's `FaultPlan.Kind`, the board's
/// `SimulatedBoardFault`, the 4G link's `NetworkFaults.Kind`), at a drawn point (a stream offset,
/// a data block, a burn status, a check's URL, a latency). The draw for board N depends on SEED
/// and N only, so a run is repeatable and `provision sim faults` lists the same plan the station
/// runs. What each drawn fault must end in is `DrawnFault.expected` (FaultOutcome.swift).
public struct RandomFaultPlan: Sendable, Equatable, CustomStringConvertible {
    public let seed: UInt64
    /// Chance of a fault per board, 0…1.
    public let rate: Double

    public static let form = "random:SEED:RATE"

    public init(seed: UInt64, rate: Double) {
        self.seed = seed
        self.rate = rate
    }

    /// Parses `random:SEED:RATE` (SEED a non-negative integer, RATE a number from 0 to 1).
    public init(spec: String) throws(RandomFaultPlanError) {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, parts[0] == "random" else {
            throw RandomFaultPlanError(spec: spec, reason: "expected \(Self.form)")
        }
        guard let seed = UInt64(parts[1]) else {
            throw RandomFaultPlanError(spec: spec, reason: "seed '\(parts[1])' is not a non-negative integer")
        }
        guard let rate = Double(parts[2]), rate.isFinite, rate >= 0, rate <= 1 else {
            throw RandomFaultPlanError(spec: spec, reason: "rate '\(parts[2])' is not a number from 0 to 1")
        }
        self.init(seed: seed, rate: rate)
    }

    public var description: String { "random:\(seed):\(rate)" }

    /// What the draw needs to know of the full flash so that a drawn point falls where it acts.
    public struct Session: Sendable, Equatable {
        /// Bytes of the firmware images the full flash burns before the QA script image.
        public var planBytes: Int
        /// Bytes of the AgentBoot the ROM receives before any image.
        public var agentBootBytes: Int
        /// Images the full flash burns (each answers one GET_BURN_STATUS).
        public var images: Int

        public init(planBytes: Int, agentBootBytes: Int, images: Int) {
            self.planBytes = planBytes
            self.agentBootBytes = agentBootBytes
            self.images = images
        }

        /// The station's full flash of `plan`: its firmware images, then the board's QA script
        /// image in place of any `script.bin` (its size is the board's, so it is not counted).
        public init(fullFlashOf plan: FlashPlan, agentBootBytes: Int) {
            let firmware = plan.images.filter { $0.kind != .script }
            self.init(planBytes: firmware.reduce(0) { $0 + $1.size }, agentBootBytes: agentBootBytes,
                      images: firmware.count + 1)
        }
    }

    /// Every kind a draw chooses from, with equal weight.
    public static var kinds: [DrawnFault.Kind] {
        FaultPlan.Kind.allCases.map(DrawnFault.Kind.session) + SimulatedBoardFault.allCases.map(DrawnFault.Kind.board)
            + NetworkFaults.Kind.allCases.map(DrawnFault.Kind.network)
    }

    /// The QA script's check endpoints (profiles/air780e/qa/main.lua `session_request`): where a
    /// dropped connection is drawn to act.
    public static let checkEndpoints = ["/get", "/form", "/upload", "/download", "/json", "/gzip"]

    /// Board `number`'s fault, or nil for a clean board.
    public func fault(board number: Int, session: Session) -> DrawnFault? {
        var random = SplitMix64(seed: seed ^ (UInt64(truncatingIfNeeded: number) &* 0x9E37_79B9_7F4A_7C15))
        guard random.unit() < rate else { return nil }
        let kinds = Self.kinds
        let kind = kinds[random.below(kinds.count)]
        switch kind {
        case .session(let k): return .session(k, Self.point(k, session: session, random: &random))
        case .board(let k): return .board(k)
        case .network(let k):
            var faults = NetworkFaults()
            let spec: String
            switch k {
            case .noAttach: faults.noAttach = true; spec = k.rawValue
            case .alterUpload: faults.alterRequestBodyMatching = "/upload"; spec = k.rawValue
            case .corruptDownload: faults.corruptResponseBodyMatching = "/download"; spec = k.rawValue
            case .drop:
                let endpoint = Self.checkEndpoints[random.below(Self.checkEndpoints.count)]
                faults.dropConnectionsMatching = endpoint
                spec = "\(k.rawValue)=\(endpoint)"
            case .latency:
                // Slower than a clean link, well inside a check's timeout.
                let ms = 20 + random.below(400)
                faults.extraLatency = .milliseconds(ms)
                spec = "\(k.rawValue)=\(ms)"
            }
            return .network(k, faults, spec: spec)
        }
    }

    /// The drawn point of a download-session fault: inside the image data (past the ROM phase,
    /// so a lost or altered byte hits an LPC-protected frame the AgentBoot checks), a data block
    /// that exists, an image that is burnt.
    static func point(_ kind: FaultPlan.Kind, session: Session, random: inout SplitMix64) -> FaultPlan {
        var plan = FaultPlan()
        // The host stream carries the AgentBoot, then every image with its framing, so these
        // offsets are always reached, and past the first 64 KiB of images.
        let low = session.agentBootBytes + 65_536
        let offset = low + random.below(max(1, session.planBytes - 65_536))
        switch kind {
        case .nakBlock:
            // At least planBytes / 16 KiB DOWNLOAD_DATA frames (packets are at most 16 KiB);
            // fewer NAKs in a row than the flasher's resends.
            plan.nakBlock = (index: 1 + random.below(max(1, session.planBytes / 16_384)), times: 1 + random.below(3))
        case .dropByte: plan.dropByte = offset
        case .corruptByte: plan.corruptByte = offset
        case .stallAfter: plan.stallAfter = offset
        case .disconnectAfter: plan.disconnectAfter = offset
        case .burnStatus: plan.burnStatusFailure = 1 + random.below(max(1, session.images))
        case .flipBit:
            // In the first half of the plan (BL, AP): never the script image a board boots.
            plan.flipBit = random.below(max(1, session.planBytes / 2))
        }
        return plan
    }
}

/// One fault a random plan drew for a board, in the names of the vocabulary it comes from.
public enum DrawnFault: Sendable, Equatable, CustomStringConvertible {
    /// A download-session fault of the full flash at its drawn point.
    case session(FaultPlan.Kind, FaultPlan)
    /// A whole-board fault, as `--sim-fault N=KIND` gives it.
    case board(SimulatedBoardFault)
    /// A fault of the simulated 4G link, written as `provision verify --fault` takes it.
    case network(NetworkFaults.Kind, NetworkFaults, spec: String)

    /// The kind alone, without its point.
    public enum Kind: Sendable, Equatable, Hashable, CustomStringConvertible {
        case session(FaultPlan.Kind)
        case board(SimulatedBoardFault)
        case network(NetworkFaults.Kind)

        public var description: String {
            switch self {
            case .session(let k): return "session:\(k.rawValue)"
            case .board(let k): return "board:\(k.rawValue)"
            case .network(let k): return "network:\(k.rawValue)"
            }
        }
    }

    public var kind: Kind {
        switch self {
        case .session(let k, _): return .session(k)
        case .board(let k): return .board(k)
        case .network(let k, _, _): return .network(k)
        }
    }

    public var description: String {
        switch self {
        case .session(_, let plan): return "session:\(plan)"
        case .board(let k): return "board:\(k.rawValue)"
        case .network(_, _, let spec): return "network:\(spec)"
        }
    }

    public static func == (a: DrawnFault, b: DrawnFault) -> Bool { a.description == b.description }
}

/// A `--sim-faults` value the station cannot use.
public struct RandomFaultPlanError: Error, Sendable, Equatable, CustomStringConvertible {
    public let spec: String
    public let reason: String
    public var description: String { "--sim-faults \(spec): \(reason)" }
}

/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, and the same numbers on every platform and
/// Swift version, which `SystemRandomNumberGenerator` is not meant to be.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Uniform in 0..<bound (bound > 0); the modulo bias is below 2⁻³² for any bound used here.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }
}
