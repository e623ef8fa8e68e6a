import Foundation
import Vocabulary

/// The figures a batch report is made of, computed once from the runs and shared by every format.
public struct BatchSummary: Sendable, Codable, Equatable {
    public struct FailureClassCount: Sendable, Codable, Equatable {
        public let failureClass: FailureClass
        public let count: Int
    }

    /// Distribution of one phase's durations, in seconds.
    public struct PhaseTiming: Sendable, Codable, Equatable {
        public let phase: String
        public let count: Int
        public let min: Double
        public let p50: Double
        public let p90: Double
        public let max: Double
        public let mean: Double
        /// Every duration, sorted (the plots draw them).
        public let samples: [Double]
    }

    public let title: String
    public let generatedAt: Date
    public let runs: Int
    public let passed: Int
    public let failed: Int
    public let interrupted: Int
    public let running: Int
    /// passed ÷ (passed + failed); nil when nothing was decided.
    public let passRate: Double?
    /// Decided boards per hour between the first start and the last finish of decided runs.
    public let boardsPerHour: Double?
    public let firstStart: Date?
    public let lastFinish: Date?
    public let failureClasses: [FailureClassCount]
    public let phaseTimings: [PhaseTiming]

    public init(title: String, runs records: [RunRecord], generatedAt: Date = Date()) {
        self.title = title
        self.generatedAt = generatedAt
        runs = records.count
        passed = records.filter { $0.status == .pass }.count
        failed = records.filter { $0.status == .fail }.count
        interrupted = records.filter { $0.status == .interrupted }.count
        running = records.filter { $0.status == .running }.count
        let decided = passed + failed
        passRate = decided > 0 ? Double(passed) / Double(decided) : nil
        firstStart = records.map(\.startedAt).min()
        lastFinish = records.compactMap(\.finishedAt).max()
        // Throughput counts decided boards over their own span: an interrupted run's "finish"
        // is when the station came back, not work done.
        let decidedRuns = records.filter { $0.status == .pass || $0.status == .fail }
        if let start = decidedRuns.map(\.startedAt).min(), let end = decidedRuns.compactMap(\.finishedAt).max(),
           end > start {
            boardsPerHour = Double(decided) / (end.timeIntervalSince(start) / 3600)
        } else {
            boardsPerHour = nil
        }
        var classes: [FailureClass: Int] = [:]
        for r in records where r.status == .fail || r.status == .interrupted {
            classes[r.failureClass ?? .unclassified, default: 0] += 1
        }
        failureClasses = classes.map { FailureClassCount(failureClass: $0.key, count: $0.value) }
            .sorted { ($0.count, $1.failureClass.rawValue) > ($1.count, $0.failureClass.rawValue) }

        var byPhase: [String: [Double]] = [:]
        var order: [String] = []
        for r in records {
            for p in r.phases {
                if byPhase[p.name] == nil { order.append(p.name) }
                byPhase[p.name, default: []].append(max(0, p.duration))
            }
        }
        phaseTimings = order.map { name in
            let s = byPhase[name, default: []].sorted()
            return PhaseTiming(phase: name, count: s.count, min: s.first ?? 0, p50: Self.quantile(s, 0.5),
                               p90: Self.quantile(s, 0.9), max: s.last ?? 0,
                               mean: s.isEmpty ? 0 : s.reduce(0, +) / Double(s.count), samples: s)
        }
    }

    /// Linear-interpolated quantile of sorted values.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down)), upper = Int(position.rounded(.up))
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }
}

/// Report formats `provision report` writes.
public enum ReportFormat: String, Sendable, CaseIterable {
    case html, csv, json, junit

    /// The file name extension a report of this format is written with.
    public var fileExtension: String { self == .junit ? "junit.xml" : rawValue }

    /// Renders `runs` in this format.
    public func render(title: String, runs: [RunRecord], generatedAt: Date = Date()) throws -> String {
        let summary = BatchSummary(title: title, runs: runs, generatedAt: generatedAt)
        switch self {
        case .html: return HTMLReport.render(summary: summary, runs: runs)
        case .csv: return CSVReport.render(runs: runs)
        case .json: return try JSONReport.render(summary: summary, runs: runs)
        case .junit: return JUnitReport.render(summary: summary, runs: runs)
        }
    }
}

extension RunRecord {
    /// Wall time of the run, when it finished.
    public var duration: TimeInterval? { finishedAt.map { $0.timeIntervalSince(startedAt) } }
}

enum ReportTime {
    static func iso(_ date: Date?) -> String {
        guard let date else { return "" }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }
}
