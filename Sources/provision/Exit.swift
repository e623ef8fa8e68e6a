import ArgumentParser
import Firmware
import Foundation
import Glibc
import LuaImage
import Records
import Hotplug
import QA
import Station

/// Exit codes every subcommand shares. Operators' scripts and the MES read them.
enum ProvisionExit {
    /// A board failed (flash, verification) — the input was fine.
    static let boardFailed: Int32 = 1
    /// Bad input: a file, an option, a profile. Nothing was touched.
    static let inputError: Int32 = 2
    /// The machine is not ready (permissions, missing system component, device absent).
    static let environmentError: Int32 = 3
    /// The station stopped with board records its webhook did not take; they are kept in the
    /// results store's outbox and posted at the station's next start.
    static let recordsUndelivered: Int32 = 4
    /// `report --check-signatures` found a record whose kept QA report no longer matches the
    /// board's signature: the store was edited after the verdict was decided.
    static let signatureMismatch: Int32 = 5
}

/// Errors that know their own exit code and one-line message. Library errors that are input
/// errors (FirmwareError, …) are mapped in `exitCode(for:)`.
protocol ProvisionFailure: Error, CustomStringConvertible {
    var exitCode: Int32 { get }
}

/// Prints `provision: <one line>` to stderr and returns the exit code for `error`.
/// Subcommands end with `throw fail(error)` so no stack trace or Swift error dump reaches users.
func fail(_ error: Error) -> ExitCode {
    if let exit = error as? ExitCode { return exit }
    let message: String
    let code: Int32
    switch error {
    case let e as ProvisionFailure:
        message = e.description; code = e.exitCode
    case let e as FirmwareError:
        message = e.description; code = ProvisionExit.inputError
    case let e as LuaImageError:
        message = e.description; code = ProvisionExit.inputError
    case let e as StationConfigError:
        message = e.description; code = ProvisionExit.inputError
    case let e as QAInputError:
        message = e.description; code = ProvisionExit.inputError
    case let e as SlotLabelError:
        message = e.description; code = ProvisionExit.inputError
    case let e as StationIDInUse:
        // Another live station holds the id: the operator names this one differently.
        message = e.description; code = ProvisionExit.inputError
    case let e as CSVError:
        message = e.description; code = ProvisionExit.inputError
    case let e as BoardReachError:
        message = e.description; code = ProvisionExit.inputError
    case let e as SharedQAServerError:
        // A wrong URL or token is the operator's to fix; a server that is down or misbehaves is
        // the line's setup.
        switch e.kind {
        case .badURL, .tokenRefused, .refused: code = ProvisionExit.inputError
        case .unreachable, .serverFailed, .badAnswer: code = ProvisionExit.environmentError
        }
        message = e.description
    case let e as RecordsError:
        // A store named wrongly, or holding a value that cannot be read, is bad input; one that
        // cannot be opened or written is the machine/setup. Neither is the board.
        message = e.description; code = e.isInputError ? ProvisionExit.inputError : ProvisionExit.environmentError
    case let e as CustomStringConvertible:
        message = e.description; code = ProvisionExit.boardFailed
    default:
        message = "\(error)"; code = ProvisionExit.boardFailed
    }
    FileHandle.standardError.write(Data("provision: \(message)\n".utf8))
    return ExitCode(code)
}
