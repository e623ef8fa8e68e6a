import Firmware
import Links

/// The bytes that send a running board into download mode, as profile data: each step is
/// written to the board's x.2 port, then the host pauses. Spec ec618 §8.4: `AT+ECRST=delay,799`
/// schedules a reset, and the diag frame `7E 00 02 7E` makes the next boot stay in the ROM.
public struct BootEntrySequence: Sendable, Equatable {
    public struct Step: Sendable, Equatable {
        public let bytes: [UInt8]
        public let wait: Duration

        public init(bytes: [UInt8], wait: Duration) {
            self.bytes = bytes
            self.wait = wait
        }
    }

    public let steps: [Step]
    /// How long the download-mode device may take to appear on the same physical path.
    public let deadline: Duration

    public init(steps: [Step], deadline: Duration) {
        self.steps = steps
        self.deadline = deadline
    }

    /// The profile's `[boot_entry]` section.
    public init(profile: Profile) {
        self.init(steps: profile.bootEntrySteps.map { Step(bytes: $0.bytes, wait: $0.waitAfter) },
                  deadline: profile.downloadModeDeadline)
    }

    /// Every byte the sequence writes, in order.
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
    /// Writes the sequence to `link` (the board's x.2 port) with its pauses, closes the link
    /// (the board is about to vanish), then waits for `awaitDownloadMode` — the caller's
    /// watcher of that slot — until the sequence's deadline.
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
        do {
            try await send(sequence, over: link, sleep: sleep)
        } catch {
            await link.close()
            throw error
        }
        await link.close()
        guard let board = try await awaitDownloadMode(start + sequence.deadline) else {
            throw BootEntryError.downloadModeNotSeen(slot: slot, after: sequence.deadline)
        }
        return board
    }

    /// Only the sending half: each step's bytes, then its pause.
    public static func send(_ sequence: BootEntrySequence, over link: any ByteLink,
                            sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) async throws {
        for step in sequence.steps {
            try await link.write(step.bytes)
            if step.wait > .zero { try await sleep(step.wait) }
        }
    }
}
