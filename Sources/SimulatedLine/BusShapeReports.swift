import BoardSim
import Hotplug

extension BusShape {
    /// What the watcher would report for a board showing this shape in `slot`.
    public func report(for slot: Slot) -> SlotReport {
        switch self {
        case .download(let port):
            return .download(DownloadBoard(slot: slot, usbDevnode: nil, port: port))
        case .running(let socLog, let trace, let vuart):
            return .running(RunningBoard(slot: slot, usbDevnode: nil,
                                         ports: [.socLog: socLog, .trace: trace, .vuart: vuart], complete: true))
        case .detached:
            return .gone(slot)
        }
    }
}
