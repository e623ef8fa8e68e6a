import CZlib

/// zlib inflate/deflate: the QA server's gzip responses and the simulated board's `miniz`
/// (LuatOS' miniz speaks zlib-wrapped or raw deflate).
public enum Zlib {
    /// Window bits: 15 = zlib wrapper, -15 = raw deflate, 31 = gzip wrapper.
    public static let gzipWindowBits: Int32 = 31

    public static func inflate(_ input: [UInt8], windowBits: Int32, limit: Int = 1 << 24) -> [UInt8]? {
        var stream = z_stream()
        guard shim_inflateInit2(&stream, windowBits) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        var input = input
        let count = input.count
        return input.withUnsafeMutableBufferPointer { inBuffer -> [UInt8]? in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = uInt(count)
            while true {
                let status = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                output += chunk[0..<(chunk.count - Int(stream.avail_out))]
                if output.count > limit { return nil }
                if status == Z_STREAM_END { return output }
                // Truncated input or corrupt data: miniz returns nil in both cases.
                if status != Z_OK { return nil }
                if stream.avail_in == 0 && stream.avail_out != 0 { return nil }
            }
        }
    }

    public static func deflate(_ input: [UInt8], windowBits: Int32) -> [UInt8]? {
        var stream = z_stream()
        guard shim_deflateInit2(&stream, Z_DEFAULT_COMPRESSION, windowBits) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        var input = input
        let count = input.count
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(count))) + 32)
        let outCount = output.count
        let status = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer -> Int32 in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outCount)
                return CZlib.deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        return Array(output[0..<Int(stream.total_out)])
    }
}
