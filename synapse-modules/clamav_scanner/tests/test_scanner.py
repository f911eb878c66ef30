"""Unit tests of the scanner against a scripted clamd on loopback.

Run from Synapse's virtual environment (the module imports Synapse's API):
    <synapse venv>/bin/python -m unittest discover -s synapse-modules/clamav_scanner
The real clamd and the real Synapse are exercised by test/antivirus/*.proof.test.ts.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import tempfile
import threading
import time
import unittest
from dataclasses import dataclass

from synapse.module_api import NOT_SPAM
from synapse.module_api.errors import Codes

import clamav_scanner
from clamav_scanner import SCANS, ClamAVScanner, ScanError, instream, parse_config, verdict


class FakeClamd:
    """Answers INSTREAM with a scripted reply after reading the whole stream (or never, when hang)."""

    def __init__(self, reply: bytes = b"stream: OK\0", hang: bool = False):
        self.reply = reply
        self.hang = hang
        self.received = b""
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        self.sock.close()
        with conn:
            cmd = b""
            while not cmd.endswith(b"\0"):
                cmd += conn.recv(1)
            assert cmd == b"zINSTREAM\0", cmd
            while True:
                size = struct.unpack("!L", self._read(conn, 4))[0]
                if size == 0:
                    break
                self.received += self._read(conn, size)
            if self.hang:
                time.sleep(5)
                return
            conn.sendall(self.reply)

    @staticmethod
    def _read(conn: socket.socket, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            data = conn.recv(n - len(buf))
            if not data:
                raise EOFError
            buf += data
        return buf

    def close(self) -> None:
        self.sock.close()


@dataclass
class Info:
    server_name: str | None = None
    file_id: str = "abcdef"
    thumbnail: object | None = None
    url_cache: bool = False


@dataclass
class Wrapper:
    path: str


class FakeApi:
    def __init__(self) -> None:
        self.callbacks: dict = {}

    def register_spam_checker_callbacks(self, **kw) -> None:
        self.callbacks.update(kw)

    async def defer_to_thread(self, f, *args):
        return await asyncio.get_running_loop().run_in_executor(None, f, *args)


def count(result: str) -> float:
    return SCANS.labels(result=result)._value.get()


class ScannerTest(unittest.TestCase):
    def setUp(self) -> None:
        fd, self.path = tempfile.mkstemp()
        # Larger than one chunk, so the stream is split.
        os.write(fd, b"x" * (clamav_scanner.CHUNK * 2 + 17))
        os.close(fd)

    def tearDown(self) -> None:
        os.unlink(self.path)

    def scan(self, port: int, **cfg) -> object:
        api = FakeApi()
        ClamAVScanner(parse_config({"host": "127.0.0.1", "port": port, **cfg}), api)
        return asyncio.run(api.callbacks["check_media_file_for_spam"](Wrapper(self.path), Info()))

    def test_streams_the_whole_file_and_accepts_a_clean_one(self) -> None:
        clamd = FakeClamd()
        before = count("clean")
        self.assertEqual(self.scan(clamd.port), NOT_SPAM)
        clamd.thread.join(5)
        with open(self.path, "rb") as f:
            self.assertEqual(clamd.received, f.read())
        self.assertEqual(count("clean"), before + 1)

    def test_rejects_an_infected_file_naming_the_signature(self) -> None:
        clamd = FakeClamd(b"stream: Eicar-Signature FOUND\0")
        before = count("infected")
        with self.assertLogs("clamav_scanner", "WARNING") as logs:
            code, detail = self.scan(clamd.port)
        self.assertEqual(code, Codes.FORBIDDEN)
        self.assertIn("Eicar-Signature", detail["error"])
        self.assertIn("local/abcdef", logs.output[0])
        self.assertEqual(count("infected"), before + 1)

    def test_fails_closed_within_the_timeout_when_clamd_hangs(self) -> None:
        clamd = FakeClamd(hang=True)
        started = time.monotonic()
        code, _ = self.scan(clamd.port, timeout_seconds=1)
        self.assertLess(time.monotonic() - started, 3)
        self.assertEqual(code, Codes.FORBIDDEN)

    def test_fails_closed_when_clamd_is_unreachable(self) -> None:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        before = count("error_rejected")
        code, _ = self.scan(port, timeout_seconds=2)
        self.assertEqual(code, Codes.FORBIDDEN)
        self.assertEqual(count("error_rejected"), before + 1)

    def test_fails_open_only_when_configured(self) -> None:
        clamd = FakeClamd(b"INSTREAM size limit exceeded. ERROR\0")
        before = count("error_allowed")
        self.assertEqual(self.scan(clamd.port, on_error="allow"), NOT_SPAM)
        self.assertEqual(count("error_allowed"), before + 1)

    def test_thumbnails_are_not_scanned_again(self) -> None:
        api = FakeApi()
        ClamAVScanner(parse_config({"host": "127.0.0.1", "port": 1}), api)
        res = asyncio.run(api.callbacks["check_media_file_for_spam"](Wrapper(self.path), Info(thumbnail=object())))
        self.assertEqual(res, NOT_SPAM)

    def test_verdicts(self) -> None:
        self.assertEqual(verdict("stream: OK"), ("clean", None))
        self.assertEqual(verdict("stream: Win.Test.EICAR_HDB-1 FOUND"), ("infected", "Win.Test.EICAR_HDB-1"))
        with self.assertRaises(ScanError):
            verdict("INSTREAM size limit exceeded. ERROR")

    def test_config_errors_list_every_problem(self) -> None:
        with self.assertRaises(ValueError) as e:
            parse_config({"port": 0, "on_error": "maybe", "colour": "red"})
        for word in ("host", "port", "on_error", "colour"):
            self.assertIn(word, str(e.exception))

    def test_instream_reports_a_closed_connection(self) -> None:
        clamd = FakeClamd(b"")
        with self.assertRaises(ScanError):
            instream("127.0.0.1", clamd.port, self.path, 2)


if __name__ == "__main__":
    unittest.main()
