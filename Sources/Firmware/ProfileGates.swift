/// `[gates]` of a profile: which identity checks the station runs on a board after its QA
/// verdict, each failing with its own class (Vocabulary's catalogue). A gate the table does not
/// name is off, so a profile without `[gates]` keeps the station's earlier behaviour.
public struct IdentityGateSettings: Sendable, Equatable {
    /// `imei_luhn`: the IMEI is 15 digits with a valid Luhn check digit, else `bad_imei`.
    public var imeiLuhn: Bool
    /// `duplicate_imei`: an IMEI that already passed in the store fails `duplicate_imei` (in
    /// rework mode the new record is linked to the earlier one instead).
    public var duplicateIMEI: Bool
    /// `sim_required`: the board reports an ICCID, else `no_sim`.
    public var simRequired: Bool
    /// `min_csq`: the CSQ (0–31; 99 is "not known") is at least this, else `weak_signal`.
    public var minCSQ: Int?
    /// `firmware_version`: `rtos.version()` equals the `.soc`'s version, else `firmware_mismatch`.
    public var firmwareVersion: Bool
    /// `calibration`: the RF calibration flags (`mobile.ecnpicfg()`, where the build has it)
    /// are set, else `calibration_lost`.
    public var calibration: Bool
    /// `label_scan`: the operator scans the board's label, which must carry its IMEI, else
    /// `label_mismatch`.
    public var labelScan: Bool
    /// `label_timeout_s`: how long the station waits for the scan.
    public var labelTimeout: Duration

    public static let defaultLabelTimeout: Duration = .seconds(60)

    public init(imeiLuhn: Bool = false, duplicateIMEI: Bool = false, simRequired: Bool = false, minCSQ: Int? = nil,
                firmwareVersion: Bool = false, calibration: Bool = false, labelScan: Bool = false,
                labelTimeout: Duration = IdentityGateSettings.defaultLabelTimeout) {
        self.imeiLuhn = imeiLuhn
        self.duplicateIMEI = duplicateIMEI
        self.simRequired = simRequired
        self.minCSQ = minCSQ
        self.firmwareVersion = firmwareVersion
        self.calibration = calibration
        self.labelScan = labelScan
        self.labelTimeout = labelTimeout
    }

    /// Every gate off.
    public static let off = IdentityGateSettings()

    /// Whether any gate is on.
    public var anyOn: Bool {
        imeiLuhn || duplicateIMEI || simRequired || minCSQ != nil || firmwareVersion || calibration || labelScan
    }

    /// CSQ as `AT+CSQ` and `mobile.csq()` give it: 0–31, 99 when not known (3GPP TS 27.007 §8.5).
    public static let csqRange = 0...31
    /// Label waits: 1 s to 1 h.
    public static let labelTimeoutSeconds = 1...3600

    /// The settings `file` gives; `refuse` words a bad value.
    static func decode(_ file: ProfileFile.Gates?, refuse: (String) -> FirmwareError) throws -> IdentityGateSettings {
        guard let file else { return .off }
        if let min = file.min_csq, let reason = Profile.Bounds.refusal(min, key: "gates.min_csq", range: csqRange, unit: "") {
            throw refuse(reason)
        }
        let timeout = file.label_timeout_s ?? Int(defaultLabelTimeout.components.seconds)
        if let reason = Profile.Bounds.refusal(timeout, key: "gates.label_timeout_s", range: labelTimeoutSeconds, unit: "s") {
            throw refuse(reason)
        }
        return IdentityGateSettings(imeiLuhn: file.imei_luhn ?? false, duplicateIMEI: file.duplicate_imei ?? false,
                                    simRequired: file.sim_required ?? false, minCSQ: file.min_csq,
                                    firmwareVersion: file.firmware_version ?? false, calibration: file.calibration ?? false,
                                    labelScan: file.label_scan ?? false, labelTimeout: .seconds(timeout))
    }
}

extension ProfileFile {
    /// `[gates]` as written; every key optional, an unknown one refused by the strict decoder.
    struct Gates: Decodable {
        let imei_luhn: Bool?
        let duplicate_imei: Bool?
        let sim_required: Bool?
        let min_csq: Int?
        let firmware_version: Bool?
        let calibration: Bool?
        let label_scan: Bool?
        let label_timeout_s: Int?
    }
}
