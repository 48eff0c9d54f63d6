"""uvicorn's own log records as lines of citykg's access log: one JSON object a line.

uvicorn logs a few warnings and errors of its own (``Exception in ASGI application``, with a
traceback). :func:`uvicorn_log_config` has them written where the access log goes (stderr, or the
access-log file; stderr if the access log is off), each as one line of the access log's shape:
method, path and client ``-``, ``status`` 500 for an error (uvicorn answers 500 to a request whose
application failed) and 0 for a warning, and the message, with any traceback, as ``error``. The
warnings about requests that citykg's protocol refuses and logs itself (``Invalid HTTP request
received.``, an unsupported upgrade) are dropped.

Example::

    >>> record = logging.LogRecord("uvicorn.error", logging.WARNING, "x", 1, "Odd: %s", ("this",), None)
    >>> line = json.loads(JsonLines().format(record))
    >>> line["status"], line["method"], line["error"]
    (0, '-', 'uvicorn: Odd: this')
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

__all__ = ["JsonLines", "Known", "uvicorn_log_config"]

_MAX_MESSAGE = 3_000  # characters: a line stays within one atomic write (4 KiB) of the shared log

#: What uvicorn warns of that citykg's protocol answers and logs itself.
_KNOWN = ("Invalid HTTP request received.", "Unsupported upgrade request.", "No supported WebSocket library")


class JsonLines(logging.Formatter):
    """A log record as a line of the access log (see the module's documentation)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        if len(message) > _MAX_MESSAGE:
            message = message[: _MAX_MESSAGE - 1] + "…"
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return json.dumps({"time": f"{stamp}.{int(record.msecs):03d}Z", "client": "-", "method": "-", "path": "-",
                           "query_bytes": 0, "status": 500 if record.levelno >= logging.ERROR else 0,
                           "bytes": 0, "ms": 0.0, "cache": "-", "error": f"uvicorn: {message}"}, ensure_ascii=False)


class Known(logging.Filter):
    """Drops uvicorn's warnings about requests that citykg logs itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_KNOWN)


def uvicorn_log_config(access_log: str | None) -> dict[str, Any]:
    """uvicorn's ``log_config``: its records as access-log lines, written where ``access_log`` goes.

    :param access_log: ``-`` for stderr, a file, or ``None`` (no access log: stderr).

    >>> uvicorn_log_config("-")["handlers"]["log"]["stream"]
    'ext://sys.stderr'
    """
    if access_log in (None, "-"):
        handler: dict[str, Any] = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    else:
        handler = {"class": "logging.FileHandler", "filename": access_log, "encoding": "utf-8", "delay": True}
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonLines}},
        "filters": {"known": {"()": Known}},
        "handlers": {"log": {**handler, "formatter": "json", "filters": ["known"]}},
        "loggers": {"uvicorn": {"handlers": ["log"], "level": "WARNING", "propagate": False},
                    "uvicorn.error": {"level": "WARNING"},
                    "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False}},
    }
