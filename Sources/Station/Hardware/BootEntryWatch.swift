import EC618
import Hotplug

/// Reads what the bus shows at a slot after a boot-entry strategy ran out of time.
enum BootEntryWatch {
    /// The diagnosis of a strategy that brought no usable download-mode board: from the slot's
    /// shape now and whether the board left the bus since `departuresBefore`.
    static func diagnose(devices: SlotDevices, departuresBefore: Int, link: BoardLinkKind, writeFailure: String?,
                         askedOperator: Bool) async -> BootEntryDiagnosis {
        let left = await devices.departures > departuresBefore
        return diagnose(current: await devices.current, left: left, link: link, writeFailure: writeFailure,
                        askedOperator: askedOperator)
    }

    static func diagnose(current: SlotReport?, left: Bool, link: BoardLinkKind, writeFailure: String?,
                         askedOperator: Bool) -> BootEntryDiagnosis {
        switch current {
        case .download?:
            // Download mode, yet not usable (`downloadBoard(usable:)` said no): the port is missing.
            return .downloadModeWithoutPort(link: link.rawValue)
        case .unknownShape?:
            return .unknownShape
        case .gone?, nil:
            return askedOperator ? .operatorDidNotAct : .leftAndNeverCameBack
        case .running?:
            if askedOperator { return .operatorDidNotAct }
            return left ? .cameBackRunning : .socLogNeverAnswered(reason: writeFailure)
        }
    }
}
