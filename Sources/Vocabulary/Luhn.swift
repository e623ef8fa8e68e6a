/// The Luhn (mod 10) check digit IMEIs carry in their 15th digit (3GPP TS 23.003 §6.2.1 and
/// Annex B): double every second digit from the right of the 14-digit body, sum the digits.
public enum Luhn {
    /// The digit that makes `body` (ASCII digits only) Luhn-valid when appended; nil when
    /// `body` is empty or holds anything but digits.
    public static func checkDigit(for body: String) -> Int? {
        guard !body.isEmpty else { return nil }
        var sum = 0
        // The check digit will be rightmost, so the body's rightmost digit is the first doubled.
        for (offset, character) in body.utf8.reversed().enumerated() {
            guard character >= UInt8(ascii: "0"), character <= UInt8(ascii: "9") else { return nil }
            var digit = Int(character - UInt8(ascii: "0"))
            if offset % 2 == 0 {
                digit *= 2
                if digit > 9 { digit -= 9 }
            }
            sum += digit
        }
        return (10 - sum % 10) % 10
    }

    /// Whether `number` is all digits and its last digit is the Luhn check digit of the rest.
    public static func isValid(_ number: String) -> Bool {
        guard number.utf8.count >= 2, let last = number.utf8.last,
              last >= UInt8(ascii: "0"), last <= UInt8(ascii: "9"),
              let expected = checkDigit(for: String(number.dropLast())) else { return false }
        return Int(last - UInt8(ascii: "0")) == expected
    }
}

/// An IMEI as the identity gates and the simulator take it: 15 decimal digits, the last the
/// Luhn check digit of the first 14 (3GPP TS 23.003 §6.2.1).
public enum IMEI {
    public static let digits = 15

    /// Why `text` is not a well-formed IMEI, or nil when it is.
    public static func problem(_ text: String) -> String? {
        guard text.utf8.count == digits else { return "\(text.utf8.count) characters, not \(digits) digits" }
        guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return "not all digits"
        }
        guard Luhn.isValid(text) else {
            let expected = Luhn.checkDigit(for: String(text.dropLast())).map(String.init) ?? "?"
            return "Luhn check digit is \(text.suffix(1)), expected \(expected)"
        }
        return nil
    }

    /// `body` (14 digits) with its check digit appended.
    public static func completing(_ body: String) -> String? {
        guard body.utf8.count == digits - 1, let check = Luhn.checkDigit(for: body) else { return nil }
        return body + String(check)
    }
}
