/// Whether the simulated 4G link is up, and a way to wait for it: the firmware's
/// `network_connect` logs "network[%d] not ready!" and waits for link-up rather than failing, so
/// a request made before the attach ends with -8 when its timer fires (LuatOS
/// `components/network/adapter/luat_network_adapter.c`).
actor LinkState {
    private var up = false
    private var waiters: [Int: CheckedContinuation<Bool, Never>] = [:]
    private var nextWaiter = 0

    var isUp: Bool { up }

    func setUp() {
        up = true
        let ready = waiters
        waiters = [:]
        for continuation in ready.values { continuation.resume(returning: true) }
    }

    /// True once the link is up; false when `deadline` passes first or the task is cancelled.
    func waitUntilUp(deadline: ContinuousClock.Instant?) async -> Bool {
        if up { return true }
        nextWaiter += 1
        let id = nextWaiter
        let timer = deadline.map { deadline in
            Task { [weak self] in
                try? await Task.sleep(until: deadline)
                await self?.expire(id)
            }
        }
        defer { timer?.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if up || Task.isCancelled { continuation.resume(returning: up) } else { waiters[id] = continuation }
            }
        } onCancel: {
            Task { await self.expire(id) }
        }
    }

    private func expire(_ id: Int) {
        waiters.removeValue(forKey: id)?.resume(returning: false)
    }
}
