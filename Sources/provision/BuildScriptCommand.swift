import ArgumentParser
import Firmware
import Foundation
import LuaImage

/// `provision build-script main.lua [more files/folders] --soc X.soc -o script.bin`: the script
/// image the chosen firmware can load, or one line saying why not, before any board is touched.
struct BuildScript: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build-script",
        abstract: "Build the LuaDB script image (script.bin) for a .soc from main.lua and friends.",
        discussion: """
            Folders are flattened (files keep only their names; hidden files are skipped; a \
            symbolic link, a name that is not UTF-8 or a special file in a folder is refused). With the \
            .soc's script.use-luac, .lua files are stored as .luac bytecode in the firmware's layout \
            (EC618: 32-bit integers and floats), stripped unless script.use-debug. An integer \
            constant outside int32, or a float outside binary32's range, is refused with file:line.
            """)

    @Argument(help: "main.lua, then any more files or folders (libraries, certificates, pictures).")
    var inputs: [String]

    @Option(help: "The .soc firmware package the image is for (bytecode layout and partition size).")
    var soc: String

    @Option(name: .shortAndLong, help: "Where to write the image (a new file, or a regular file it replaces).")
    var output: String

    @Flag(help: "Print one stable JSON document instead of the table.")
    var json = false

    func run() async throws {
        do {
            let package = try SocPackage.open(path: soc)
            let script = package.info.script
            let partition = package.info.scriptPartition
            let options = try package.scriptImageOptions()
            // An old image inside an input folder must not end up inside the new one.
            let target = URL(fileURLWithPath: output).standardizedFileURL.path
            let files = try ScriptImageBuilder.collect(inputs)
                .filter { URL(fileURLWithPath: $0.path).standardizedFileURL.path != target }
            let image = try ScriptImageBuilder.build(inputs: files, options: options)
            // The plan's own size check, so every command agrees on what fits.
            _ = try package.plan.withScript(image.bytes, name: script.file, source: soc)
            try writeAtomically(image.bytes, to: output)
            let report = BuildScriptReport(image: image, output: output, soc: soc, partition: partition,
                                           bitWidth: script.bitWidth, useLuac: script.useLuac,
                                           useDebug: script.useDebug)
            print(json ? try report.json() : report.text())
        } catch {
            throw fail(error)
        }
    }
}

/// What `provision build-script` prints: the stored files, the image's size, SHA-256 and how
/// much of the script partition it uses.
struct BuildScriptReport: Encodable {
    struct File: Encodable {
        let name: String
        let source: String
        let size: Int
        let compiled: Bool
    }

    struct Partition: Encodable {
        let address: String
        let capacity: Int
        let used: Int
        let free: Int
        let percentUsed: Double
    }

    struct Bytecode: Encodable {
        let bitWidth: Int
        let useLuac: Bool
        let useDebug: Bool
    }

    let output: String
    let soc: String
    let size: Int
    let sha256: String
    let partition: Partition
    let bytecode: Bytecode
    let files: [File]

    init(image: ScriptImage, output: String, soc: String, partition: ScriptPartition,
         bitWidth: Int, useLuac: Bool, useDebug: Bool) {
        self.output = output
        self.soc = soc
        size = image.bytes.count
        sha256 = image.sha256
        self.partition = Partition(
            address: String(format: "0x%06X", partition.flashOffset), capacity: partition.capacity,
            used: image.bytes.count, free: partition.capacity - image.bytes.count,
            percentUsed: (Double(image.bytes.count) * 1000 / Double(partition.capacity)).rounded() / 10)
        bytecode = Bytecode(bitWidth: bitWidth, useLuac: useLuac, useDebug: useDebug)
        files = image.entries.map { File(name: $0.name, source: $0.path, size: $0.size, compiled: $0.compiled) }
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    func text() -> String {
        let nameWidth = max(4, files.map(\.name.count).max() ?? 0)
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(0, n - s.count)) }
        func padLeft(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - s.count)) + s }
        var lines = [pad("FILE", nameWidth) + "  " + padLeft("BYTES", 9) + "  FROM"]
        for f in files {
            lines.append(pad(f.name, nameWidth) + "  " + padLeft(String(f.size), 9) + "  " + f.source
                         + (f.compiled ? " (compiled)" : ""))
        }
        lines.append("")
        lines.append("\(output): \(size) bytes, \(files.count) files + integrity entry, "
                     + "\(bytecode.bitWidth)-bit " + (bytecode.useLuac ? "bytecode" : "sources")
                     + (bytecode.useLuac ? (bytecode.useDebug ? " with debug info" : ", stripped") : ""))
        lines.append("sha256 \(sha256)")
        lines.append("script partition \(partition.address): \(partition.used) of \(partition.capacity) bytes used "
                     + "(\(partition.percentUsed)%), \(partition.free) free")
        return lines.joined(separator: "\n")
    }
}
