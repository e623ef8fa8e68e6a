import Foundation
import QA
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A client that opens a connection and never finishes its request must not hold a descriptor:
/// at a 256-descriptor limit, a few hundred such sockets locked the boards out.
@Suite("QA server: idle connections are closed")
struct QAServerTimeoutTests {
    /// Connects to 127.0.0.1:`port`, sends `bytes`, and waits (on its own thread, not the test's
    /// executor) for the server to close; true when it did within `limit`.
    static func closedByServer(port: Int, sending bytes: [UInt8], within limit: Duration) async -> Bool {
        await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
            Thread {
                guard let fd = connectToLoopback(port: port) else { done.resume(returning: false); return }
                defer { close(fd) }
                guard send(fd, bytes, bytes.count, 0) == bytes.count else {
                    done.resume(returning: false); return
                }
                let end = ContinuousClock.now + limit
                var buffer = [UInt8](repeating: 0, count: 4096)
                while ContinuousClock.now < end {
                    // Short receive timeouts so the overall limit holds whatever the server does.
                    var wait = timeval(tv_sec: 0, tv_usec: 200_000)
                    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
                    let n = recv(fd, &buffer, buffer.count, 0)
                    if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                        done.resume(returning: true); return
                    }
                }
                done.resume(returning: false)
            }.start()
        }
    }

    @Test("a half-sent request is closed by the server (short idle timeout, generous wait)",
          arguments: ["half a head", "a head and half its body"])
    func halfRequestIsClosed(shape: String) async throws {
        let server = QAServer(host: "127.0.0.1", port: 0, idleTimeout: .seconds(1))
        let port = try await server.start()
        defer { Task { await server.stop() } }
        let ticket = await server.createSession(boardID: "slow")
        let request = shape == "half a head"
            ? "GET /qa/\(ticket.sessionID)/get HTTP/1.1\r\nHost: qa\r\n"
            : "POST /qa/\(ticket.sessionID)/form HTTP/1.1\r\nHost: qa\r\nContent-Length: 100\r\n\r\nimei=1&tok"
        #expect(await Self.closedByServer(port: port, sending: Array(request.utf8), within: .seconds(10)), "\(shape)")
    }

    @Test func theDefaultLeavesABoardItsOwnRequestTimeout() {
        // The board gives up on a request after its own timeout (15 s by default); the server's
        // idle timeout must be longer so it never cuts a board that is still waiting.
        #expect(QAServer.defaultIdleTimeout > .milliseconds(QAPlan().checkTimeoutMs))
    }

    /// Sends `head`, then one more byte every 300 ms (never idle long enough for the idle
    /// timeout); true when the server closed the connection within `limit`.
    static func closedWhileTrickling(port: Int, head: [UInt8], within limit: Duration) async -> Bool {
        await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
            Thread {
                guard let fd = connectToLoopback(port: port) else { done.resume(returning: false); return }
                defer { close(fd) }
                guard send(fd, head, head.count, Int32(MSG_NOSIGNAL)) == head.count else {
                    done.resume(returning: false); return
                }
                let end = ContinuousClock.now + limit
                var buffer = [UInt8](repeating: 0, count: 4096)
                var wait = timeval(tv_sec: 0, tv_usec: 300_000)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
                while ContinuousClock.now < end {
                    let n = recv(fd, &buffer, buffer.count, 0)
                    if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                        done.resume(returning: true); return
                    }
                    // One more body byte: the connection is never idle.
                    if send(fd, "x", 1, Int32(MSG_NOSIGNAL)) < 0 { done.resume(returning: true); return }
                }
                done.resume(returning: false)
            }.start()
        }
    }

    @Test("a request trickled byte by byte is cut at the request time limit, though never idle")
    func trickledRequestIsCut() async throws {
        let server = QAServer(host: "127.0.0.1", port: 0, idleTimeout: .seconds(5), requestTimeLimit: .seconds(2))
        let port = try await server.start()
        defer { Task { await server.stop() } }
        let ticket = await server.createSession(boardID: "trickle")
        let head = "POST /qa/\(ticket.sessionID)/form HTTP/1.1\r\nHost: qa\r\nContent-Length: 100000\r\n\r\n"
        #expect(await Self.closedWhileTrickling(port: port, head: Array(head.utf8), within: .seconds(30)))
    }

    /// A blocking TCP connection to 127.0.0.1:`port`, or nil.
    static func connectToLoopback(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { close(fd); return nil }
        return fd
    }
}
