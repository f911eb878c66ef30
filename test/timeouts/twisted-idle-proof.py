# Run with the Python of the pinned Synapse install. Proves how the HTTP
# listener Synapse builds on (twisted.web's Site, which SynapseSite extends
# without passing a timeout) limits time: an idle timeout while the request
# arrives, none while Synapse works on it. Prints one JSON line.
import inspect
import json
import socket
import sys
import threading
import time

from twisted.internet import reactor
from twisted.web import http, resource, server

from synapse.http.site import SynapseSite

IDLE = 0.5  # seconds; the real default is printed, the behaviour is checked at this scale


class Slow(resource.Resource):
    isLeaf = True

    def render_GET(self, request):
        # A long-poll: nothing is sent for 3 idle periods.
        reactor.callLater(3 * IDLE, lambda: (request.write(b"late"), request.finish()))
        return server.NOT_DONE_YET

    def render_POST(self, request):
        return b"got %d" % len(request.content.read())


def exchange(port, chunks, pause):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(10)
    try:
        for i, c in enumerate(chunks):
            if i:
                time.sleep(pause)
            s.sendall(c)
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
            if b"\r\n\r\n" in data and (data.endswith(b"late") or b"got " in data):
                break
        return data.decode(errors="replace")
    except OSError as e:
        return "error: %s" % e
    finally:
        s.close()


def main():
    site = server.Site(Slow(), timeout=IDLE)
    listener = reactor.listenTCP(0, site, interface="127.0.0.1")
    port = listener.getHost().port
    out = {
        "defaultIdleSeconds": inspect.signature(http.HTTPFactory.__init__).parameters["timeout"].default,
        "synapseSitePassesTimeout": "timeout" in inspect.getsource(SynapseSite.__init__).split("super().__init__(", 1)[1].split(")", 1)[0],
    }

    def run():
        try:
            out["longPoll"] = exchange(port, [b"GET /sync HTTP/1.1\r\nHost: x\r\n\r\n"], 0)
            body = b"x" * 8
            head = b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
            # Body trickles in over 4 idle periods, never silent for a whole one.
            out["slowUpload"] = exchange(port, [head] + [body[i : i + 1] for i in range(len(body))], IDLE / 2)
            # A client that stalls for two idle periods mid-body.
            out["stalledUpload"] = exchange(port, [head, body[:1], body[1:]], 2 * IDLE + 0.5)
        finally:
            reactor.callFromThread(reactor.stop)

    threading.Thread(target=run, daemon=True).start()
    reactor.callLater(30, reactor.stop)
    reactor.run()
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
