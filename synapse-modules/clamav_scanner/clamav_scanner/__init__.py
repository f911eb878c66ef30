"""Synapse module: scan every stored media file with clamd before it is kept.

Synapse calls ``check_media_file_for_spam`` after an upload (or a remote file
it fetched, or a URL preview) is written to its local media store and before
the storage providers copy it to the object store. Rejecting here deletes the
file and records nothing, so an infected file is never stored or served.
Downloads do not pass through this callback: each file is scanned once.

The file is streamed to clamd with the INSTREAM command from a worker thread
(never the reactor), under one deadline for the whole scan. When clamd cannot
answer in time, ``on_error`` decides: ``reject`` (default, fail closed) or
``allow`` (fail open).
"""

from __future__ import annotations

import logging
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any, Literal

from prometheus_client import Counter

logger = logging.getLogger(__name__)

__version__ = "1.0.0"

# One counter per process, whatever the number of module instances.
SCANS = Counter(
    "synapse_clamav_scans_total",
    "Media files scanned by clamd, by outcome.",
    ["result"],
)

CHUNK = 64 * 1024


class ScanError(Exception):
    """clamd could not give a verdict (unreachable, timeout, protocol error, size limit)."""


@dataclass(frozen=True)
class Config:
    host: str
    port: int
    timeout_seconds: float
    on_error: Literal["reject", "allow"]
    scan_thumbnails: bool


def parse_config(raw: dict[str, Any]) -> Config:
    problems = []
    host = raw.get("host")
    if not isinstance(host, str) or not host:
        problems.append("host: a host name or address of clamd")
    port = raw.get("port", 3310)
    if not isinstance(port, int) or not 0 < port < 65536:
        problems.append("port: an integer from 1 to 65535")
    timeout = raw.get("timeout_seconds", 30)
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        problems.append("timeout_seconds: a number > 0")
    on_error = raw.get("on_error", "reject")
    if on_error not in ("reject", "allow"):
        problems.append('on_error: "reject" or "allow"')
    scan_thumbnails = raw.get("scan_thumbnails", False)
    if not isinstance(scan_thumbnails, bool):
        problems.append("scan_thumbnails: true or false")
    unknown = set(raw) - {"host", "port", "timeout_seconds", "on_error", "scan_thumbnails"}
    if unknown:
        problems.append(f"unknown keys: {', '.join(sorted(unknown))}")
    if problems:
        raise ValueError("clamav_scanner config: " + "; ".join(problems))
    return Config(host, port, float(timeout), on_error, scan_thumbnails)


def instream(host: str, port: int, path: str, timeout: float) -> str:
    """Streams the file at ``path`` to clamd; returns clamd's reply (e.g. ``stream: OK``).

    Every socket operation and the scan as a whole are bounded by ``timeout``.
    """
    deadline = time.monotonic() + timeout

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ScanError(f"clamd did not answer within {timeout:g}s")
        return left

    try:
        with socket.create_connection((host, port), timeout=remaining()) as sock:
            sock.sendall(b"zINSTREAM\0")
            with open(path, "rb") as f:
                while True:
                    chunk = f.read(CHUNK)
                    if not chunk:
                        break
                    sock.settimeout(remaining())
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.settimeout(remaining())
            sock.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                sock.settimeout(remaining())
                data = sock.recv(4096)
                if not data:
                    break
                reply += data
    except ScanError:
        raise
    except socket.timeout as e:
        raise ScanError(f"clamd did not answer within {timeout:g}s") from e
    except OSError as e:
        raise ScanError(f"clamd at {host}:{port} unreachable: {e}") from e
    text = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    if not text:
        raise ScanError("clamd closed the connection without a verdict")
    return text


def verdict(reply: str) -> tuple[str, str | None]:
    """``("clean", None)``, ``("infected", signature)``; anything else is a ScanError."""
    if reply.endswith(" OK") or reply == "stream: OK":
        return "clean", None
    if reply.endswith(" FOUND"):
        body = reply[: -len(" FOUND")]
        return "infected", body.split(": ", 1)[-1]
    raise ScanError(f"clamd error: {reply}")


def _requester() -> str:
    """The user whose request stored the file (Synapse's logging context), when known."""
    try:
        from synapse.logging.context import current_context

        request = getattr(current_context(), "request", None)
        return getattr(request, "authenticated_entity", None) or getattr(request, "requester", None) or "unknown"
    except Exception:  # noqa: BLE001 - logging only, never fails a scan
        return "unknown"


class ClamAVScanner:
    def __init__(self, config: Config, api: Any):
        self._config = config
        self._api = api
        api.register_spam_checker_callbacks(check_media_file_for_spam=self.check_media_file_for_spam)

    @staticmethod
    def parse_config(config: dict[str, Any]) -> Config:
        return parse_config(config)

    async def check_media_file_for_spam(self, file_wrapper: Any, file_info: Any) -> Any:
        from synapse.module_api import NOT_SPAM
        from synapse.module_api.errors import Codes

        if getattr(file_info, "thumbnail", None) is not None and not self._config.scan_thumbnails:
            # Thumbnails are made by Synapse from a file already scanned at upload.
            SCANS.labels(result="skipped").inc()
            return NOT_SPAM
        media = f"{getattr(file_info, 'server_name', None) or 'local'}/{getattr(file_info, 'file_id', '?')}"
        user = _requester()
        c = self._config
        started = time.monotonic()
        try:
            reply = await self._api.defer_to_thread(instream, c.host, c.port, file_wrapper.path, c.timeout_seconds)
            result, signature = verdict(reply)
        except ScanError as e:
            if c.on_error == "allow":
                SCANS.labels(result="error_allowed").inc()
                logger.warning("clamav: could not scan media %s from %s, storing it UNSCANNED (on_error: allow): %s", media, user, e)
                return NOT_SPAM
            SCANS.labels(result="error_rejected").inc()
            logger.warning("clamav: could not scan media %s from %s, rejecting it (on_error: reject): %s", media, user, e)
            return Codes.FORBIDDEN, {"error": "The file could not be checked for viruses; try again later."}
        if result == "infected":
            SCANS.labels(result="infected").inc()
            logger.warning("clamav: REJECTED infected media %s from %s: %s", media, user, signature)
            return Codes.FORBIDDEN, {"error": f"The file contains a virus ({signature}) and was not stored."}
        SCANS.labels(result="clean").inc()
        logger.info("clamav: media %s from %s is clean (%.0f ms)", media, user, (time.monotonic() - started) * 1000)
        return NOT_SPAM
