"""Files that leave the building (CSV, OPML, digests) appear whole or not at all."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replaced_atomically(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path in path's folder to write to; renamed onto path when the block ends
    without an error, removed otherwise. A reader (or a spreadsheet watching the file) sees
    the previous file until the new one is complete, and a failure keeps the previous one."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        # Created through open(), not mkstemp, so the umask applies as for any new file.
        tmp.open("xb").close()
    except OSError as exc:
        # Name the file the user asked for, not our temporary one.
        raise OSError(exc.errno, exc.strerror, str(target)) from None
    try:
        if target.exists():
            shutil.copymode(target, tmp)
        yield tmp
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
