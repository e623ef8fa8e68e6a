import Firmware
import Links

/// How a board is brought into download mode, as profile data: strategies tried in order until
/// the download-mode device appears (esptool-style ordered reset strategies). A strategy either
/// writes its steps to the board's x.2 port — spec ec618 §8.4: `AT+ECRST=delay,799` schedules a
/// reset, and the diag frame `7E 00 02 7E` makes the next boot stay in the ROM — or asks the
/// operator to hold BOOT and reset the board (§8.4 "Hardware", the tools' fallback).
public struct BootEntrySequence: Sendable, Equatable {
    public struct Step: Sendable, Equatable {
        public let bytes: [UInt8]
        public let wait: Duration

        public init(bytes: [UInt8], wait: Duration) {
            self.bytes = bytes
            self.wait = wait
        }
    }

    /// One strategy: what it does, and how long download mode may take to appear after it began.
    public struct Strategy: Sendable, Equatable {
        public enum Action: Sendable, Equatable {
            /// Write these steps to x.2, with their pauses.
            case send([Step])
            /// Show this to the operator and wait.
            case askOperator(prompt: String)
        }

        public let name: String
        public let action: Action
        public let deadline: Duration

        public init(name: String, action: Action, deadline: Duration) {
            self.name = name
            self.action = action
            self.deadline = deadline
        }

        /// The steps a sending strategy writes; empty for the operator's.
        public var steps: [Step] {
            if case .send(let steps) = action { return steps }
            return []
        }
    }

    /// In the order they are tried; never empty.
    public let strategies: [Strategy]

    public init(strategies: [Strategy]) {
        precondition(!strategies.isEmpty, "a boot entry needs at least one strategy")
        self.strategies = strategies
    }

    /// A single sending strategy.
    public init(steps: [Step], deadline: Duration) {
        self.init(strategies: [Strategy(name: BootEntryStrategy.firstName, action: .send(steps), deadline: deadline)])
    }

    /// The profile's `[boot_entry]` strategies.
    public init(profile: Profile) {
        self.init(strategies: profile.bootEntryStrategies.map { s in
            let action: Strategy.Action = s.operatorPrompt.map { .askOperator(prompt: $0) }
                ?? .send(s.steps.map { Step(bytes: $0.bytes, wait: $0.waitAfter) })
            return Strategy(name: s.name, action: action, deadline: s.downloadModeDeadline)
        })
    }

    /// The first strategy's steps and deadline: what a board already on its way to download
    /// mode is given (its deadline), and what `SoftwareBootEntry.enter` sends.
    public var steps: [Step] { strategies[0].steps }
    public var deadline: Duration { strategies[0].deadline }

    /// Every byte the first strategy writes, in order.
    public var bytes: [UInt8] { steps.flatMap(\.bytes) }
}

/// Why a software boot entry failed.
public enum BootEntryError: Error, Equatable, CustomStringConvertible {
    /// The sequence was sent but no download-mode device came back at `slot` in time.
    case downloadModeNotSeen(slot: String, after: Duration)

    public var description: String {
        switch self {
        case .downloadModeNotSeen(let slot, let after):
            return "\(slot): no download-mode device within \(after) of the boot-entry sequence "
                + "(hold BOOT and reset the board to enter download mode by hand)"
        }
    }
}

/// Sends a running board into download mode without touching its BOOT key.
public enum SoftwareBootEntry {
    /// Writes the first strategy's steps to `link` (the board's x.2 port) with their pauses,
    /// closes the link (the board is about to vanish), then waits for `awaitDownloadMode` — the
    /// caller's watcher of that slot — until that strategy's deadline.
    ///
    /// - Parameters:
    ///   - slot: the slot's name, for the error.
    ///   - awaitDownloadMode: returns the download-mode board once it appeared on the same
    ///     physical path, or nil if `deadline` passed first.
    ///   - sleep: the pause between steps (replaceable in tests).
    @discardableResult
    public static func enter<Board: Sendable>(
        over link: any ByteLink, sequence: BootEntrySequence, slot: String,
        awaitDownloadMode: @Sendable (ContinuousClock.Instant) async throws -> Board?,
        sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) async throws -> Board {
        let start = ContinuousClock.now
        try await sendThenClose(sequence.steps, over: link, sleep: sleep)
        guard let board = try await awaitDownloadMode(start + sequence.deadline) else {
            throw BootEntryError.downloadModeNotSeen(slot: slot, after: sequence.deadline)
        }
        return board
    }

    /// The one path that sends a strategy's bytes: each step, then its pause. The link is closed
    /// afterwards, also when a write fails: the board is about to leave the bus, and a port held
    /// open across its re-enumeration can keep the old device node alive.
    public static func sendThenClose(_ steps: [BootEntrySequence.Step], over link: any ByteLink,
                                     sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) async throws {
        do {
            for step in steps {
                try await link.write(step.bytes)
                if step.wait > .zero { try await sleep(step.wait) }
            }
        } catch {
            await link.close()
            throw error
        }
        await link.close()
    }
}
