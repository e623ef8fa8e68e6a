import Crypto
import Foundation
import SwiftASN1
import X509
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The https listener's certificate chain and private key (PEM text).
public struct QATLSIdentity: Sendable, Equatable {
    public let certificatePEM: String
    public let privateKeyPEM: String

    public init(certificatePEM: String, privateKeyPEM: String) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }
}

extension QATLSIdentity {
    /// The station certificate's notBefore: 2000-01-01T00:00:00Z.
    ///
    /// The board's mbedTLS checks validity dates against its own clock (`MBEDTLS_HAVE_TIME_DATE`
    /// is on in luatos-soc-2022 `project/luatos/inc/mbedtls_ec618_config.h`), and a board that has
    /// not had network time yet runs on its default clock. This date is earlier than any EC618
    /// board clock before network time; the exact default clock is still being researched, so it
    /// is this one constant and nowhere else.
    public static let notBefore = Date(timeIntervalSince1970: 946_684_800)

    /// How long a made certificate stays valid after it is made: longer than a station runs
    /// between restarts (a new one is made at every start).
    public static let validity: TimeInterval = 10 * 365 * 24 * 3600

    /// The subject (and issuer) common name of a made certificate.
    public static let commonName = "provision QA station"

    /// A self-signed certificate and key for `host` (a DNS name or an IPv4/IPv6 address), made in
    /// process; the board gets the certificate as its CA file, so it trusts exactly this station.
    ///
    /// Why it looks as it does (facts from openLuat/LuatOS, V1112 era, and luatos-soc-2022):
    /// - `network_init_tls` (components/network/adapter/luat_network_adapter.c) sets the URL host
    ///   as the expected name even when it is an IP address, and mbedTLS 2.28
    ///   (components/mbedtls/include/mbedtls/version.h) matches dNSName SAN entries only; so the
    ///   host is always a dNSName. It is also an iPAddress entry when it is one, for clients that
    ///   match IPs properly (mbedTLS 2.28 skips that entry as an unsupported name form).
    /// - The EC618 mbedTLS config (project/luatos/inc/mbedtls_ec618_config.h) enables ECDSA on
    ///   secp256r1 with SHA-256: a P-256 key, signed ecdsaWithSHA256.
    /// - basicConstraints CA:true with keyCertSign, so mbedTLS accepts the trusted certificate as
    ///   its own issuer; digitalSignature for the ECDHE-ECDSA handshake; extKeyUsage serverAuth.
    /// - notBefore is `notBefore` (long before any board clock), notAfter `now + validity`.
    public static func selfSigned(host: String, now: Date = Date(), validity: TimeInterval = QATLSIdentity.validity)
        throws -> QATLSIdentity
    {
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        guard !name.isEmpty else { throw QAServerError(reason: "no host name for the station certificate") }
        guard validity > 0, now.addingTimeInterval(validity) > notBefore else {
            throw QAServerError(reason: "station certificate validity ends before \(notBefore)")
        }
        var names: [GeneralName] = [.dnsName(name)]
        if let address = ipAddressBytes(name) {
            names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(address))))
        }
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(commonName) }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
            try ExtendedKeyUsage([.serverAuth])
            SubjectAlternativeNames(names)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: notBefore, notValidAfter: now.addingTimeInterval(validity),
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions, issuerPrivateKey: .init(key))
        return QATLSIdentity(certificatePEM: try certificate.serializeAsPEM().pemString + "\n",
                             privateKeyPEM: key.pemRepresentation + "\n")
    }

    /// The network-order bytes of `text` when it is an IPv4 or IPv6 address literal, else nil.
    static func ipAddressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// Reads a certificate and key from PEM files.
    public static func load(certificate: String, key: String) throws -> QATLSIdentity {
        guard let cert = FileManager.default.contents(atPath: certificate) else {
            throw QAInputError(file: certificate, reason: "cannot read the TLS certificate")
        }
        guard let keyData = FileManager.default.contents(atPath: key) else {
            throw QAInputError(file: key, reason: "cannot read the TLS private key")
        }
        let identity = QATLSIdentity(certificatePEM: String(decoding: cert, as: UTF8.self),
                                     privateKeyPEM: String(decoding: keyData, as: UTF8.self))
        do {
            _ = try identity.serverConfiguration()
        } catch {
            switch error {
            case .certificate(let why): throw QAInputError(file: certificate, reason: "not a usable PEM certificate: \(why)")
            case .privateKey(let why): throw QAInputError(file: key, reason: "not a usable PEM private key: \(why)")
            }
        }
        return identity
    }
}
