import Foundation

/// The built `provision` executable: `swift build` puts it beside the test bundle.
public enum ProvisionExecutable {
    public static var url: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("provision")
    }
}
