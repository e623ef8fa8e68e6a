import Firmware
import Foundation
import Testing

/// Where a profile is found: a copied or installed binary (no checkout above it) must reach the
/// package's profiles, and a checkout's own profiles must win over installed ones.
@Suite struct ProfileSearchTests {
    @Test func anInstalledBinaryLooksInTheDataFolderThenThePackagesProfiles() {
        let folders = Profile.searchFolders(environment: [InstalledLayout.dataFolderVariable: "/opt/station"],
                                            currentDirectory: "/tmp", executable: "/usr/bin/provision")
        #expect(folders == ["/tmp/profiles", "/opt/station/profiles", InstalledLayout.localProfilesFolder,
                            InstalledLayout.profilesFolder])
        #expect(InstalledLayout.profilesFolder == "/usr/share/provision/profiles")
    }

    @Test func aCheckoutsProfilesComeBeforeTheDataFolderAndTheInstalledOnes() throws {
        let checkout = FileManager.default.temporaryDirectory
            .appendingPathComponent("provision-search-\(UUID().uuidString)")
        let binFolder = checkout.appendingPathComponent(".build/x86_64-unknown-linux-gnu/debug")
        try FileManager.default.createDirectory(at: binFolder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: checkout) }
        try Data("// swift-tools-version:6.0\n".utf8).write(to: checkout.appendingPathComponent("Package.swift"))
        let folders = Profile.searchFolders(
            environment: ["PROVISION_PROFILES": "/explicit", InstalledLayout.dataFolderVariable: "/opt/station"],
            currentDirectory: "/tmp", executable: binFolder.appendingPathComponent("provision").path)
        let mine = checkout.resolvingSymlinksInPath().appendingPathComponent("profiles").path
        #expect(folders == ["/explicit", "/tmp/profiles", mine, "/opt/station/profiles",
                            InstalledLayout.localProfilesFolder, InstalledLayout.profilesFolder])
    }

    @Test func theFirstFolderHoldingTheProfileAnswers() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("provision-locate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let (empty, data, shipped) = (root.appendingPathComponent("a"), root.appendingPathComponent("b"),
                                      root.appendingPathComponent("c"))
        for folder in [empty, data, shipped] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        try Data().write(to: data.appendingPathComponent("board.toml"))
        try Data().write(to: shipped.appendingPathComponent("board.toml"))
        #expect(Profile.locate("board", in: [empty.path, data.path, shipped.path]) == data.path + "/board.toml")
        #expect(Profile.locate("board", in: [empty.path]) == nil)
        #expect(Profile.locate("other", in: [empty.path, data.path, shipped.path]) == nil)
    }
}
