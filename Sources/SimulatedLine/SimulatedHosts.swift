import BoardSim
import Firmware

extension SimulatedNetwork {
    /// `NAME=HOST:PORT` mappings (`--sim-host`, station.toml `simulation.hosts`) added to this
    /// network; the address must be on this machine, so no simulated board sends traffic elsewhere.
    public func adding(_ mappings: [String]) throws(SimulatedNetworkError) -> SimulatedNetwork {
        var network = self
        for mapping in mappings {
            guard let parsed = HostMapping(mapping) else {
                throw SimulatedNetworkError(reason: "\"\(mapping)\" is not \(HostMapping.form)")
            }
            try network.map(parsed.name, to: parsed.address)
        }
        return network
    }
}
