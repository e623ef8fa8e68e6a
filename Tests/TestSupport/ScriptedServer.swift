import Crypto
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SwiftASN1
import Synchronization
import X509

/// A real HTTP/1.1 server on 127.0.0.1 whose answers are scripted per request, so the board's
/// client can be shown drops, stalls and partial answers. Optional TLS with a given identity.
public final class ScriptedServer: Sendable {
    public struct Seen: Sendable {
        public let requestLine: String
        public let headers: [String: String]
        public var range: String? { headers["range"] }
        /// The request's path (with its query), from the request line.
        public var path: String { requestLine.split(separator: " ").dropFirst().first.map(String.init) ?? "" }
    }

    public enum Step: Sendable {
        case send([UInt8])
        case pause(Duration)
        case close
    }

    public let port: Int
    private let channel: Channel
    private let log = Shared<[Seen]>([])
    private let connectionCount = Shared(0)

    public var seen: [Seen] { log.withLock { $0 } }
    public var connections: Int { connectionCount.withLock { $0 } }

    /// Binds at once (blocking for the bind only), so synchronous tests can use it too.
    public init(tls: TestCertificate? = nil, respond: @escaping @Sendable (Seen) -> [Step]) throws {
        let context = try tls.map { identity -> NIOSSLContext in
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(identity.certificatePEM.utf8)).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(identity.keyPEM.utf8), format: .pem)))
            return try NIOSSLContext(configuration: configuration)
        }
        let log = self.log, connectionCount = self.connectionCount
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    connectionCount.withLock { $0 += 1 }
                    if let context { try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
                    try child.pipeline.syncOperations.addHandler(RequestReader(respond: respond, log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        port = channel.localAddress?.port ?? 0
    }

    deinit { channel.close(promise: nil) }

    /// A whole answer: status line, headers, body.
    public static func answer(_ status: Int, _ reason: String, body: [UInt8], headers: [String] = []) -> [UInt8] {
        let head = (["HTTP/1.1 \(status) \(reason)", "Content-Length: \(body.count)"] + headers)
            .joined(separator: "\r\n") + "\r\n\r\n"
        return Array(head.utf8) + body
    }

    /// `content` as a server that honours `Range: bytes=N-` answers it.
    public static func ranged(_ content: [UInt8], _ seen: Seen) -> [UInt8] {
        guard let range = seen.range, range.hasPrefix("bytes="), range.hasSuffix("-"),
              let start = Int(range.dropFirst(6).dropLast()) else {
            return answer(200, "OK", body: content, headers: ["Accept-Ranges: bytes"])
        }
        guard start < content.count else {
            return answer(416, "Range Not Satisfiable", body: [], headers: ["Content-Range: bytes */\(content.count)"])
        }
        return answer(206, "Partial Content", body: Array(content[start...]),
                      headers: ["Content-Range: bytes \(start)-\(content.count - 1)/\(content.count)"])
    }

    private final class RequestReader: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let respond: @Sendable (Seen) -> [Step]
        let log: Shared<[Seen]>
        var pending: [UInt8] = []
        var answered = false

        init(respond: @escaping @Sendable (Seen) -> [Step], log: Shared<[Seen]>) {
            self.respond = respond
            self.log = log
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            pending += buffer.readBytes(length: buffer.readableBytes) ?? []
            guard !answered, let end = Self.headEnd(pending) else { return }
            answered = true
            let lines = String(decoding: pending[..<end], as: UTF8.self).components(separatedBy: "\r\n")
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let seen = Seen(requestLine: lines.first ?? "", headers: headers)
            log.withLock { $0.append(seen) }
            // Played on the channel's event loop, never on Swift concurrency's threads: tests
            // that wait for a child process synchronously hold those.
            Self.play(respond(seen)[...], on: context.channel)
        }

        static func play(_ steps: ArraySlice<Step>, on channel: Channel) {
            guard let step = steps.first else { return }
            let rest = steps.dropFirst()
            switch step {
            case .send(let bytes):
                channel.writeAndFlush(ByteBuffer(bytes: bytes)).whenComplete { _ in play(rest, on: channel) }
            case .pause(let duration):
                let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
                channel.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { play(rest, on: channel) }
            case .close:
                channel.close(promise: nil)
            }
        }

        static func headEnd(_ bytes: [UInt8]) -> Int? {
            guard bytes.count >= 4 else { return nil }
            for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
                return i
            }
            return nil
        }
    }
}

/// A value several threads read and change, behind a lock.
public final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    public init(_ value: Value) { mutex = Mutex(value) }
    public func withLock<R>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}

/// A certificate and key made in the test with swift-certificates.
public struct TestCertificate: Sendable {
    public let certificatePEM: String
    public let keyPEM: String

    public enum SAN: Sendable { case dns(String), ip([UInt8]) }

    public static func make(sans: [SAN], notBefore: Date = Date(timeIntervalSince1970: 915_148_800),  // 1999-01-01
                     notAfter: Date = Date().addingTimeInterval(365 * 86_400)) throws -> TestCertificate {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("board test server") }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            SubjectAlternativeNames(sans.map {
                switch $0 {
                case .dns(let name): return GeneralName.dnsName(name)
                case .ip(let bytes): return GeneralName.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes)))
                }
            })
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: .init(key))
        return TestCertificate(certificatePEM: try certificate.serializeAsPEM().pemString, keyPEM: key.pemRepresentation)
    }
}
