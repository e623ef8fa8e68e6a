import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, flushed, then
/// renamed over `path`, so a failure never leaves a half-written output behind. A `path` that
/// exists and is not a regular file (a device, a FIFO, a symbolic link, a folder) is refused:
/// renaming over it would replace the node itself (as root, `/dev/full` became a plain file).
public func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    func failure(_ reason: String) -> FirmwareError { FirmwareError(file: path, reason: reason) }
    var existing = stat()
    if lstat(path, &existing) == 0, existing.st_mode & S_IFMT != S_IFREG {
        throw failure("exists and is not a regular file; not replacing it")
    }
    let folder = (path as NSString).deletingLastPathComponent
    let name = (path as NSString).lastPathComponent
    // O_EXCL on a fresh name, not mkstemp: the file gets the mode a plain create would
    // (0666 less the umask) without touching the process-wide umask.
    let temporary = (folder.isEmpty ? "." : folder) + "/.\(name).\(UUID().uuidString).tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard fd >= 0 else { throw failure("cannot write: \(String(cString: strerror(errno)))") }
    var written = 0
    var error: Int32 = 0
    bytes.withUnsafeBytes { buffer in
        while written < buffer.count {
            let n = write(fd, buffer.baseAddress! + written, buffer.count - written)
            if n < 0 { if errno == EINTR { continue }; error = errno; return }
            written += n
        }
    }
    if error == 0, fsync(fd) != 0 { error = errno }
    if close(fd) != 0, error == 0 { error = errno }
    if error == 0, rename(temporary, path) != 0 { error = errno }
    if error != 0 {
        unlink(temporary)
        throw failure("cannot write: \(String(cString: strerror(error)))")
    }
}
