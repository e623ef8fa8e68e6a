import Foundation
import SwiftASN1
import X509

/// Server-certificate verification as the board's mbedTLS 2.28 does it when the script gives
/// `http.request` a CA (argument 6). The firmware then requires verification, and the host it
/// expects is the URL's host even when that is an IP address: `network_init_tls` sets it with
/// `mbedtls_ssl_set_hostname` (LuatOS `components/network/adapter/luat_network_adapter.c`).
/// mbedTLS 2.28 (`components/mbedtls/include/mbedtls/version.h`) matches that name against
/// dNSName SAN entries only (`x509_crt_check_san` in `components/mbedtls/library/x509_crt.c`),
/// so an IP SAN never matches; without a SAN it compares the subject CN. Validity dates are
/// checked against the board's clock because EC618 builds with `MBEDTLS_HAVE_TIME_DATE`
/// (luatos-soc-2022 `project/luatos/inc/mbedtls_ec618_config.h`), and that clock may not have
/// been set from the network yet.
struct BoardTLSVerifier: Sendable {
    /// Why verification failed, named by the mbedTLS flag the board's log would show.
    enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// `MBEDTLS_X509_BADCERT_CN_MISMATCH`: no dNSName (or CN) equals the URL host.
        case nameMismatch(host: String, names: [String])
        /// `MBEDTLS_X509_BADCERT_FUTURE`: a certificate is not valid yet at the board's time.
        case notYetValid(subject: String, notBefore: Date, boardTime: Date)
        /// `MBEDTLS_X509_BADCERT_EXPIRED`.
        case expired(subject: String, notAfter: Date, boardTime: Date)
        /// `MBEDTLS_X509_BADCERT_NOT_TRUSTED`: the chain does not lead to the given CA.
        case notTrusted(String)
        /// The CA text the script passed is not a PEM certificate.
        case badCA(String)

        var mbedTLSFlag: String {
            switch self {
            case .nameMismatch: return "BADCERT_CN_MISMATCH"
            case .notYetValid: return "BADCERT_FUTURE"
            case .expired: return "BADCERT_EXPIRED"
            case .notTrusted, .badCA: return "BADCERT_NOT_TRUSTED"
            }
        }

        var description: String {
            switch self {
            case .nameMismatch(let host, let names):
                return "\(mbedTLSFlag): '\(host)' is not among the certificate's DNS names \(names) (IP SANs are ignored)"
            case .notYetValid(let subject, let notBefore, let boardTime):
                return "\(mbedTLSFlag): \(subject) is valid from \(notBefore), the board's clock says \(boardTime)"
            case .expired(let subject, let notAfter, let boardTime):
                return "\(mbedTLSFlag): \(subject) expired \(notAfter), the board's clock says \(boardTime)"
            case .notTrusted(let why): return "\(mbedTLSFlag): \(why)"
            case .badCA(let why): return "\(mbedTLSFlag): the CA given to http.request is unusable: \(why)"
            }
        }
    }

    /// The CA certificate(s) the script passed.
    let trusted: [Certificate]

    init(caPEM: String) throws(Failure) {
        do {
            let documents = try PEMDocument.parseMultiple(pemString: caPEM)
            trusted = try documents.map { try Certificate(pemDocument: $0) }
        } catch {
            throw .badCA(String(describing: error))
        }
        guard !trusted.isEmpty else { throw .badCA("no certificate in the PEM text") }
    }

    /// Verifies the server's chain (leaf first, DER) for `host` at the board's `time`.
    func verify(chainDER: [[UInt8]], host: String, time: Date) throws(Failure) {
        let chain: [Certificate]
        do { chain = try chainDER.map { try Certificate(derEncoded: $0) } }
        catch { throw .notTrusted("the server's certificate does not parse: \(error)") }
        guard let leaf = chain.first else { throw .notTrusted("the server sent no certificate") }

        // mbedTLS checks the time of every certificate on the path, the trusted root included
        // (`x509_crt_verify_chain`), and reports the first problem it meets from the leaf up.
        var path = [leaf]
        var child = leaf
        while !trusted.contains(child) {
            guard path.count <= 8 else { throw .notTrusted("the chain is longer than 8 certificates") }
            let candidates = trusted + chain.dropFirst()
            guard let parent = candidates.first(where: { Self.isParent($0, of: child) }) else {
                throw .notTrusted("no trusted CA issued \(child.subject)")
            }
            path.append(parent)
            if trusted.contains(parent) { break }
            child = parent
        }
        for certificate in path {
            if certificate.notValidAfter < time {
                throw .expired(subject: "\(certificate.subject)", notAfter: certificate.notValidAfter, boardTime: time)
            }
            if certificate.notValidBefore > time {
                throw .notYetValid(subject: "\(certificate.subject)", notBefore: certificate.notValidBefore, boardTime: time)
            }
        }
        let names = Self.expectedNames(leaf)
        guard names.contains(where: { Self.matches(pattern: $0, host: host) }) else {
            throw .nameMismatch(host: host, names: names)
        }
    }

    /// A parent is a CA whose subject is the child's issuer and whose key signed the child
    /// (`x509_crt_check_parent` + the signature check of `x509_crt_find_parent_in`).
    private static func isParent(_ parent: Certificate, of child: Certificate) -> Bool {
        guard parent.subject == child.issuer else { return false }
        let isCA: Bool
        switch try? parent.extensions.basicConstraints {
        case .isCertificateAuthority?: isCA = true
        default: isCA = parent.version == .v1
        }
        return isCA && parent.publicKey.isValidSignature(child.signature, for: child)
    }

    /// The dNSName SAN entries, or the subject CNs when the certificate has no SAN extension.
    static func expectedNames(_ certificate: Certificate) -> [String] {
        if let san = try? certificate.extensions.subjectAlternativeNames {
            return san.compactMap { if case .dnsName(let name) = $0 { return name } else { return nil } }
        }
        let attributes: [RelativeDistinguishedName.Attribute] = certificate.subject.flatMap { Array($0) }
        return attributes.compactMap { attribute in
            attribute.type == ASN1ObjectIdentifier.RDNAttributeType.commonName ? "\(attribute.value)" : nil
        }
    }

    /// Case-insensitive equality, or a leading `*.` standing for exactly one label
    /// (`x509_crt_check_cn` / `x509_check_wildcard`).
    static func matches(pattern: String, host: String) -> Bool {
        let p = pattern.lowercased(), h = host.lowercased()
        if p == h { return true }
        guard p.hasPrefix("*."), let dot = h.firstIndex(of: ".") else { return false }
        return h[dot...] == p.dropFirst()
    }
}
