import AsyncHTTPClient
import Crypto
import Foundation
import NIOSSL
import QA
import SwiftASN1
import Testing
import X509

/// The station certificate made in process (no `openssl` command): what the board's mbedTLS 2.28
/// needs of it (a dNSName for the URL host even when it is an IP, P-256/ECDSA-SHA256, a notBefore
/// before any unset board clock), and that a real TLS listener serves it.
@Suite("station certificate (QATLSIdentity.selfSigned)")
struct QATLSIdentityTests {
    static func sans(_ certificate: Certificate) throws -> [GeneralName] {
        try #require(try certificate.extensions.subjectAlternativeNames).map { $0 }
    }

    @Test("IPv4 host: parses with swift-certificates, SAN has the DNS name and the IP, dates and key as promised")
    func ipv4Certificate() throws {
        let now = Date()
        let identity = try QATLSIdentity.selfSigned(host: "127.0.0.1", now: now)
        let certificate = try Certificate(pemEncoded: identity.certificatePEM)

        #expect(certificate.subject.description == "CN=provision QA station")
        #expect(certificate.issuer == certificate.subject)
        #expect(certificate.signatureAlgorithm == .ecdsaWithSHA256)
        let names = try Self.sans(certificate)
        #expect(names.contains(.dnsName("127.0.0.1")))
        #expect(names.contains(.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))))

        #expect(certificate.notValidBefore == QATLSIdentity.notBefore)
        #expect(QATLSIdentity.notBefore == ISO8601DateFormatter().date(from: "2000-01-01T00:00:00Z"))
        #expect(certificate.notValidBefore <= now && now < certificate.notValidAfter)
        // Whole seconds: the certificate's time has no fractions.
        #expect(abs(certificate.notValidAfter.timeIntervalSince(now.addingTimeInterval(QATLSIdentity.validity))) < 1)

        // P-256, and the key given with it is the certificate's own key.
        let key = try P256.Signing.PrivateKey(pemRepresentation: identity.privateKeyPEM)
        #expect(certificate.publicKey == Certificate.PublicKey(key.publicKey))
        #expect(P256.Signing.PublicKey(certificate.publicKey) != nil)
        // Self-signed: its own key verifies its signature.
        #expect(certificate.publicKey.isValidSignature(certificate.signature, for: certificate))
        let constraints = try #require(try certificate.extensions.basicConstraints)
        #expect(constraints == .isCertificateAuthority(maxPathLength: nil))
        let usage = try #require(try certificate.extensions.keyUsage)
        #expect(usage.digitalSignature && usage.keyCertSign)
    }

    @Test("IPv6 host (with or without brackets) gets the DNS name and the 16-byte IP; a name gets no IP entry")
    func otherHosts() throws {
        for host in ["::1", "[::1]"] {
            let names = try Self.sans(try Certificate(pemEncoded: try QATLSIdentity.selfSigned(host: host).certificatePEM))
            #expect(names.contains(.dnsName("::1")))
            #expect(names.contains(.ipAddress(ASN1OctetString(contentBytes: ArraySlice([UInt8](repeating: 0, count: 15) + [1])))))
        }
        let names = try Self.sans(try Certificate(pemEncoded: try QATLSIdentity.selfSigned(host: "qa.line3.example").certificatePEM))
        #expect(names == [.dnsName("qa.line3.example")])
        #expect(throws: QAServerError.self) { try QATLSIdentity.selfSigned(host: "") }
    }

    @Test("each call makes a fresh key; NIOSSL reads both PEMs")
    func readsWithNIOSSL() throws {
        let a = try QATLSIdentity.selfSigned(host: "127.0.0.1")
        let b = try QATLSIdentity.selfSigned(host: "127.0.0.1")
        #expect(a.privateKeyPEM != b.privateKeyPEM)
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(a.certificatePEM.utf8))
        #expect(chain.count == 1)
        _ = try NIOSSLPrivateKey(bytes: Array(a.privateKeyPEM.utf8), format: .pem)
    }

    /// GETs `url` with a client that trusts exactly `trusted` (full verification, host name included).
    static func fetch(_ url: String, trusting trusted: QATLSIdentity) async throws -> (Int, [UInt8]) {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(trusted.certificatePEM.utf8)))
        tls.certificateVerification = .fullVerification
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        // Generous: the test is about trust, not speed, and must hold with every core busy.
        configuration.timeout = .init(connect: .seconds(30), read: .seconds(30))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 1 << 20)
            try await client.shutdown()
            return (Int(response.status.code), Array(body.readableBytesView))
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    @Test("the QA server's https listener on 127.0.0.1 answers a client trusting exactly that certificate; a stranger's trust fails")
    func realListener() async throws {
        let identity = try QATLSIdentity.selfSigned(host: "127.0.0.1")
        let server = QAServer(host: "127.0.0.1", port: 0, tls: identity)
        try await server.start()
        let ticket = await server.createSession(boardID: "tls-listener")
        let url = try #require(ticket.httpsSessionURL) + "/https"
        do {
            let (status, body) = try await Self.fetch(url, trusting: identity)
            #expect(status == 200)
            #expect(QAContent.sha256(body) == QAContent.sha256(QAContent.bytes(nonce: ticket.nonce, label: QAContent.getLabel,
                                                                              count: ticket.plan.getBytes)))
            let stranger = try QATLSIdentity.selfSigned(host: "127.0.0.1")
            await #expect(throws: (any Error).self) { _ = try await Self.fetch(url, trusting: stranger) }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
