import Foundation
import QA
import Testing

/// The identity facts a board's report carries for the station's gates: a board without a SIM
/// (no ICCID key: the firmware gives nil) still reports, and the RF calibration comes as
/// `"absent"`, an error, or the flags `mobile.ecnpicfg()` returned.
@Suite struct QAIdentityReportTests {
    func report(_ extra: String) throws -> QABoardReport {
        let text = #"{"sid":"s1","imei":"862011060000019","csq":20,"fw":"V1112","checks":[]"# + extra + "}"
        return try JSONDecoder().decode(QABoardReport.self, from: Data(text.utf8))
    }

    @Test func aReportWithoutICCIDOrCalibrationIsStillAReport() throws {
        let r = try report("")
        #expect(r.iccid == nil && r.imei == "862011060000019" && r.rfCal == nil)
    }

    @Test func calibrationReadsAsAbsentErrorOrFlags() throws {
        #expect(try report(#","rf_cal":"absent""#).rfCal == .absent)
        #expect(try report(#","rf_cal":{"error":"boom"}"#).rfCal == .unreadable("boom"))
        #expect(try report(#","rf_cal":{"passed":false,"rfCaliDone":0,"rfNSTDone":1}"#).rfCal
                == .flags(passed: false, rfCaliDone: 0, rfNSTDone: 1))
        #expect(throws: DecodingError.self) { try report(#","rf_cal":"present""#) }
        // What is decoded encodes back to the same shape.
        let flags = QARFCalibration.flags(passed: true, rfCaliDone: 1, rfNSTDone: 1)
        let back = try JSONDecoder().decode(QARFCalibration.self, from: JSONEncoder().encode(flags))
        #expect(back == flags)
        let absent = try JSONDecoder().decode(QARFCalibration.self, from: JSONEncoder().encode(QARFCalibration.absent))
        #expect(absent == .absent)
    }
}
