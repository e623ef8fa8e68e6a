import QA
import Testing

/// Which QA server URLs boards out on 4G can reach.
struct QABoardReachTests {
    @Test(arguments: [
        ("http://127.0.0.1:8080/", QABoardReach.loopback),
        ("http://127.9.9.9/", .loopback),
        ("http://localhost:1/", .loopback),
        ("http://[::1]:80/", .loopback),
        ("http://0.0.0.0:80/", .loopback),
        ("http://10.20.30.40:80/", .privateNetwork),
        ("http://172.16.0.1/", .privateNetwork),
        ("http://172.31.255.255/", .privateNetwork),
        ("http://192.168.1.10/", .privateNetwork),
        ("http://100.64.0.1/", .privateNetwork),
        ("https://[fd00::1]:443/", .privateNetwork),
        ("http://172.32.0.1/", .publicAddress),
        ("http://100.128.0.1/", .publicAddress),
        ("http://203.0.113.7:8080/", .publicAddress),
        ("https://qa.example.com/", .publicAddress),
    ])
    func classifiesTheHost(url: String, reach: QABoardReach) {
        #expect(QABoardReach.of(url: url) == reach, "\(url)")
    }

    @Test func aURLWithoutHostOrHTTPSchemeIsNoAddress() {
        #expect(QABoardReach.of(url: "ftp://qa.example.com/") == nil)
        #expect(QABoardReach.of(url: "http://") == nil)
        #expect(QABoardReach.of(url: "qa.example.com") == nil)
    }
}
