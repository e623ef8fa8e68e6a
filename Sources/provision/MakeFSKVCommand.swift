import ArgumentParser
import Foundation
import LittleFS

/// `provision sim make-fskv OUT --set KEY=TYPE:VALUE …`: an fskv region image (64 KiB littlefs,
/// the EC618 fskv geometry), e.g. to try `provision inspect` or a simulated board's `fskv.get`.
struct MakeFSKV: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-fskv",
        abstract: "Write an fskv region image (littlefs, one file per key) from typed values.",
        discussion: "TYPE is string, integer, number, boolean (true/false) or table (JSON text). "
            + "Example: --set device_id=string:A1B2 --set retries=integer:3")

    @Argument(help: "Where to write the image.")
    var output: String

    @Option(name: .customLong("set"), help: "A key and its typed value: KEY=TYPE:VALUE (repeatable).")
    var values: [String] = []

    func run() async throws {
        do {
            let image = try FSKVImage(values.map(Self.parse))
            let bytes = try image.bytes()
            guard FileManager.default.createFile(atPath: output, contents: Data(bytes)) else {
                throw MakeFSKVError(message: "cannot write \(output)", exitCode: ProvisionExit.environmentError)
            }
            print("\(output): fskv image, \(image.values.count) keys, \(bytes.count) bytes")
        } catch let e as FSKVError {
            throw fail(MakeFSKVError(message: e.description, exitCode: ProvisionExit.inputError))
        } catch let e as LittleFSError {
            throw fail(MakeFSKVError(message: e.description, exitCode: ProvisionExit.inputError))
        } catch {
            throw fail(error)
        }
    }

    static func parse(_ text: String) throws -> (String, FSKVValue) {
        func bad(_ reason: String) -> MakeFSKVError {
            MakeFSKVError(message: "--set \(text): \(reason)", exitCode: ProvisionExit.inputError)
        }
        guard let eq = text.firstIndex(of: "="), let colon = text[eq...].firstIndex(of: ":") else {
            throw bad("expected KEY=TYPE:VALUE")
        }
        let key = String(text[..<eq])
        let type = String(text[text.index(after: eq)..<colon])
        let raw = String(text[text.index(after: colon)...])
        switch type {
        case "string": return (key, .string(raw))
        case "integer":
            guard let v = Int64(raw) else { throw bad("\"\(raw)\" is not an integer") }
            return (key, .integer(v))
        case "number":
            guard let v = Double(raw) else { throw bad("\"\(raw)\" is not a number") }
            return (key, .number(v))
        case "boolean":
            guard raw == "true" || raw == "false" else { throw bad("a boolean is true or false") }
            return (key, .boolean(raw == "true"))
        case "table": return (key, .table(raw))
        default: throw bad("unknown type \"\(type)\" (string, integer, number, boolean, table)")
        }
    }
}

struct MakeFSKVError: ProvisionFailure {
    let message: String
    let exitCode: Int32
    var description: String { message }
}
