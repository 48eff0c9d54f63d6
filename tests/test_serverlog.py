"""uvicorn's own log records, as `citykg serve` configures them: lines of the access log, one JSON object each."""

from __future__ import annotations

import json
import logging
import logging.config
from pathlib import Path

from citykg.serverlog import uvicorn_log_config

ACCESS_LOG_KEYS = ["time", "client", "method", "path", "query_bytes", "status", "bytes", "ms", "cache", "error"]


def test_uvicorns_records_are_access_log_lines_and_those_citykg_logs_are_dropped(tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    names = ("uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).level,
                    logging.getLogger(name).propagate) for name in names}
    logging.config.dictConfig(uvicorn_log_config(str(log)))
    try:
        error = logging.getLogger("uvicorn.error")
        error.warning("Invalid HTTP request received.")  # citykg's protocol answers and logs these itself
        error.warning("Unsupported upgrade request.")
        error.info("Started server process [%d]", 1)  # below the level
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            error.exception("Exception in ASGI application\n")
        error.warning("Line one\nline two")
        logging.getLogger("uvicorn.access").warning('127.0.0.1:1 - "GET / HTTP/1.1" 200')  # citykg logs requests
    finally:
        for handler in logging.getLogger("uvicorn").handlers:
            handler.close()
        for name, (handlers, level, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:], logger.level, logger.propagate = handlers, level, propagate
    lines = log.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [list(record) for record in records] == [ACCESS_LOG_KEYS, ACCESS_LOG_KEYS]
    failed, warned = records
    assert (failed["status"], failed["method"], failed["path"], failed["client"]) == (500, "-", "-", "-")
    assert failed["error"].startswith("uvicorn: Exception in ASGI application\n\nTraceback (most recent call last):")
    assert failed["error"].endswith("RuntimeError: boom")
    assert (warned["status"], warned["error"]) == (0, "uvicorn: Line one\nline two")
    assert failed["time"].endswith("Z") and len(failed["time"]) == len("2026-01-01T00:00:00.000Z")
