"""A loopback HTTP proxy that adds a fixed delay to every request, in front of a moto server.

    .venv/bin/python bench/latency_proxy.py --upstream http://127.0.0.1:5055 --delay-ms 80

Point AWS_ENDPOINT_URL (the scanner) or --endpoint (bench/floor.py) at it: every request waits
`delay` before it is forwarded, as a round trip to a real AWS region would, so the number of
sequential requests and the concurrency of a scanner show in its wall time as they would against
AWS. Requests and responses are passed through unchanged (signatures stay valid: the Host header
is kept); each handler thread keeps one connection to the upstream. Loopback addresses only.
"""

import argparse
import contextlib
import http.client
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# Hop-by-hop headers (RFC 9110 section 7.6.1) belong to one connection and are not forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "localhost" or host.startswith("127.") or host == "::1"


class LatencyProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *, upstream: str, delay: float, port: int = 0) -> None:
        if not is_loopback(upstream):
            raise ValueError("the upstream must be a loopback address")
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname, parts.port or 80
        self.delay = delay
        self.requests = 0
        self._count_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def count(self) -> None:
        with self._count_lock:
            self.requests += 1

    def start(self) -> "LatencyProxy":
        threading.Thread(target=self.serve_forever, daemon=True, name="latency-proxy").start()
        return self


class _Handler(BaseHTTPRequestHandler):
    server: LatencyProxy
    # Keep-alive, as botocore's connection pool expects from AWS.
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass  # one line per request would drown the benchmark's own output

    def _upstream(self) -> http.client.HTTPConnection:
        if not hasattr(self, "_connection"):
            self._connection = http.client.HTTPConnection(
                self.server.upstream_host, self.server.upstream_port, timeout=60
            )
        return self._connection

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        time.sleep(self.server.delay)
        self.server.count()
        try:
            self._upstream().request(self.command, self.path, body=body, headers=headers)
            response = self._upstream().getresponse()
        except (http.client.HTTPException, OSError):
            # The upstream closed an idle connection: open a fresh one, once.
            self._connection.close()
            self._upstream().request(self.command, self.path, body=body, headers=headers)
            response = self._upstream().getresponse()
        payload = response.read()
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        # A HEAD answer has no body but tells the length of the one GET would return.
        head = self.command == "HEAD"
        length = response.getheader("Content-Length", "0") if head else str(len(payload))
        self.send_header("Content-Length", length)
        self.end_headers()
        if not head:
            self.wfile.write(payload)

    def finish(self) -> None:
        super().finish()
        if hasattr(self, "_connection"):
            self._connection.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True, help="moto server URL on a loopback address")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free)")
    parser.add_argument("--delay-ms", type=float, default=80.0)
    args = parser.parse_args()
    try:
        proxy = LatencyProxy(upstream=args.upstream, delay=args.delay_ms / 1000, port=args.port)
    except ValueError as error:
        parser.error(str(error))
    print(f"latency proxy: {proxy.url} -> {args.upstream}, +{args.delay_ms:.0f} ms", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        proxy.serve_forever()
    print(f"latency proxy: {proxy.requests} requests forwarded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
