import CZlib

/// gzip for the QA server's compressed-response check (the board inflates it with `miniz`).
enum Gzip {
    static func compress(_ input: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        // windowBits 31 = deflate with a gzip wrapper; the header has no name, so it is 10 bytes.
        guard shim_deflateInit2(&stream, Z_DEFAULT_COMPRESSION, 31) == Z_OK else { return [] }
        defer { deflateEnd(&stream) }
        var input = input
        let count = input.count
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(count))) + 64)
        let capacity = output.count
        let status = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer -> Int32 in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(capacity)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return [] }
        return Array(output[0..<Int(stream.total_out)])
    }
}
