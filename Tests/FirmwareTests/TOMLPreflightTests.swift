import Firmware
import Testing

/// scripts/fuzz (FuzzProfile, FuzzStationConfig), minimized: a table header whose key cannot
/// start, or an array value starting with '}', made toml++ abort the process (an assertion)
/// instead of failing the parse.
@Suite("TOML preflight: table headers toml++ would abort on")
struct TOMLPreflightTests {
    @Test(arguments: [("[\n", 1), ("[\u{01}", 1), ("[[ \n", 1), ("a = 1\n\n[ =x]\n", 3), ("\u{FEFF}[\n", 1),
                      ("[[\t[[t]]", 1)])
    func profileRefusesTheHeaderNamingTheLine(text: String, line: Int) throws {
        let error = try #require(throws: FirmwareError.self) { try Profile(toml: text, source: "p.toml") }
        #expect(error.file == "p.toml")
        #expect(error.reason == "TOML syntax error at line \(line): a table header needs a key after '[' (a bare name or a quoted one)")
    }

    @Test(arguments: [("f=[}", 1), ("f = [1,\n# c\n }]", 3), ("a = { b = [ }", 1)])
    func profileRefusesAnArrayValueStartingWithABrace(text: String, line: Int) throws {
        let error = try #require(throws: FirmwareError.self) { try Profile(toml: text, source: "p.toml") }
        #expect(error.reason == "TOML syntax error at line \(line): an array value cannot start with '}'")
    }

    /// '[' at the start of a line that is not a header: inside an array, a string or a comment.
    @Test(arguments: [
        "a = [\n  [\n    1\n  ],\n  [+1],\n]\n",
        "s = \"\"\"\n[=\n\"\"\"\nt = '''\n[\n'''\n",
        "# [\n[ \"quoted key\" ]\n[[t]]\n[a.b]\n",
        "v = { x = [\n[\n] }\n",
        "s = \"\"\"line \\\n[=\"\"\"\n",
        "a = [ { x = 1 }, {} ]\n[ [x]]\n",
    ])
    func notAHeaderIsLeftToTheParser(text: String) {
        #expect(TOMLPreflight.refusal(in: text) == nil)
    }
}
