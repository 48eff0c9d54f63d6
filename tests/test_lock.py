"""The dist lock: one writer at a time, released when its holder dies, however it dies."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from citykg.errors import StoreError
from citykg.lock import exclusive

HOLD = "import sys, time; from pathlib import Path; from citykg.lock import exclusive\n" \
       "with exclusive(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(600)\n"


def test_a_second_writer_waits_then_gives_up(tmp_path: Path) -> None:
    with subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(StoreError, match="is locked by another build or submission for more than 0 s"), \
                exclusive(tmp_path, timeout=0.3):
            pass
        assert time.monotonic() - started >= 0.3
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    with exclusive(tmp_path, timeout=5):  # the system released the killed holder's lock
        assert (tmp_path / ".lock").exists()


def test_the_lock_is_taken_in_turn(tmp_path: Path) -> None:
    order: list[str] = []
    with exclusive(tmp_path):
        order.append("first")
    with exclusive(tmp_path, timeout=0):
        order.append("second")
    assert order == ["first", "second"]
