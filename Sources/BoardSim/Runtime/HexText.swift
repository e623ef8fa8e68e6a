/// Upper-case hex text of bytes, as the firmware's `crypto.*` digests return it. Built from a
/// digit table rather than `String(format:)`, which costs a formatter per byte: the QA script
/// derives its expected content from thousands of digests per board, and on a 64-slot line that
/// formatting was a tenth of the station process's CPU.
enum HexText {
    private static let digits = Array("0123456789ABCDEF".utf8)

    static func upper(_ bytes: some Collection<UInt8>) -> String {
        var text = [UInt8]()
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
