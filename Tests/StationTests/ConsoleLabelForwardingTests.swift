import Station
import Testing

/// A label entered for a slot on the console's page reaches the label gate waiting for that slot,
/// as a scanner's `SLOT LABEL` line would.
@Suite struct ConsoleLabelForwardingTests {
    @Test func aLabelScannedForASlotReachesItsWaitingGateAndNoOther() async throws {
        let labels = LineLabelSource()
        let controls = StationControls()
        // The console names slots by path; the gate by the label the display shows.
        let names = ["99-3": "slot3", "99-1": "slot1"]
        await controls.forwardLabels { path, label in await labels.scan(label, slot: names[path] ?? path) }
        let waiting = Task { await labels.scannedLabel(slot: "slot3") }
        while await labels.waitingCount == 0 { await Task.yield() }
        await controls.scanned(label: "IMEI 862011060000035", slot: "99-3")
        #expect(await waiting.value == "IMEI 862011060000035")
        #expect(await controls.scannedLabel(slot: "99-3") == "IMEI 862011060000035")
        // A label for a slot nobody waits on is kept for that slot, not given to another.
        await controls.scanned(label: "IMEI 862011060000019", slot: "99-1")
        #expect(await labels.keptCount == 1)
        #expect(await labels.scannedLabel(slot: "slot1") == "IMEI 862011060000019")
    }
}
