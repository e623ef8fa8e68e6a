import BoardSim
import Firmware

extension SimulatedNetwork {
    /// `NAME=HOST:PORT` mappings (`--sim-host`, station.toml `simulation.hosts`) added to this
    /// network; the address must be on this machine, so no simulated board sends traffic elsewhere.
    public func adding(_ mappings: [String]) throws(SimulatedNetworkError) -> SimulatedNetwork {
        var network = self
        for mapping in mappings {
            let parts = mapping.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let address = HostPort(parts[1]) else {
                throw SimulatedNetworkError(reason: "\"\(mapping)\" is not NAME=\(HostPort.form)")
            }
            try network.map(parts[0], to: address)
        }
        return network
    }
}
