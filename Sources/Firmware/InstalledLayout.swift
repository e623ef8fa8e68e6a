/// Where the Debian package (`scripts/package-deb`) puts a station's files. The binary is the one
/// source of these paths: `provision doctor --print-layout` hands them to the packaging script,
/// profile lookup and `doctor` read them here.
public enum InstalledLayout {
    /// Read-only data shipped with the package.
    public static let dataFolder = "/usr/share/provision"
    /// The shipped board profiles (`<name>.toml` and `<name>/qa/`).
    public static let profilesFolder = dataFolder + "/profiles"
    /// Names a data folder (holding `profiles/`) for a binary that is neither in a checkout nor
    /// installed: a copied binary, a test of the package's layout before it is installed.
    public static let dataFolderVariable = "PROVISION_DATA_DIR"
    /// Site-local configuration; a profile here overrides the shipped one of the same name.
    public static let configFolder = "/etc/provision"
    public static let localProfilesFolder = configFolder + "/profiles"
    /// The station config the service runs from (a conffile: upgrades keep the operator's edits).
    public static let stationConfig = configFolder + "/station.toml"
    /// The service's firmware and script choice (`SOC=`, `APP=`), read by the unit.
    public static let serviceEnvironment = "/etc/default/provision-station"
    /// The systemd unit running the station.
    public static let serviceName = "provision-station.service"
    public static let serviceUnit = "/lib/systemd/system/" + serviceName
    /// Packaged udev rules; a file of the same name in /etc/udev/rules.d (`provision setup-udev`)
    /// overrides the packaged one.
    public static let udevRulesFolder = "/lib/udev/rules.d"
    /// The service's working folder: the default SQLite store and report folder live here.
    public static let stateFolder = "/var/lib/provision"
    /// The account the service runs as (a system user the package makes, never root: the
    /// station serves HTTP to the line network).
    public static let serviceUser = "provision"
    /// Debian's group of serial ttys (cdc_acm ports); the service joins it and the udev rule's group.
    public static let ttyGroup = "dialout"
}
