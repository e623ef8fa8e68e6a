#!/usr/bin/env python3
"""A webhook receiver for the station's CLI tests: listens on 127.0.0.1 (an ephemeral port, printed
as the first stdout line), appends each POST body as one line to OUT, answers 200 (or --status), and exits after
--count bodies or --seconds, whichever comes first. Loopback only."""
import argparse
import http.server
import sys
import threading


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--status", type=int, default=200, help="the status every POST is answered with")
    args = parser.parse_args()
    received = []
    done = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with open(args.out, "ab") as f:
                f.write(body.replace(b"\n", b" ") + b"\n")
            received.append(self.path)
            self.send_response(args.status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            if len(received) >= args.count:
                done.set()

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    done.wait(args.seconds)
    server.shutdown()
    sys.exit(0 if done.is_set() else 1)


if __name__ == "__main__":
    main()
