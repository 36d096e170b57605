"""chatcli's own log on a disk that fills up: lines are dropped, closing it is no error."""

from __future__ import annotations

import logging

from chatcli.private_files import PrivateFileHandler
from tests.fault_mounts import fill, tmpfs


def test_closing_the_log_on_a_full_disk_raises_nothing() -> None:
    with tmpfs("64k") as disk:
        handler = PrivateFileHandler(disk / "chatcli.log")
        log = logging.getLogger("chatcli.test_private_log")
        log.addHandler(handler)
        log.propagate = False
        try:
            log.warning("written while there is room")
            handler.flush()
            fill(disk)
            for _ in range(200):  # more than the buffer holds, then close with lines pending
                log.warning("x" * 100)
        finally:
            log.removeHandler(handler)
            handler.close()  # a second workspace in one process does this to the first's log
        assert "written while there is room" in (disk / "chatcli.log").read_text()
