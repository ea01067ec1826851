"""Atomic file writers shared by every part of the package.

Each writer puts the data in a temporary file beside the target and renames it
into place, so a reader never sees a partial file and an interrupted write leaves
the previous file intact.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import io
import json
import math
import os
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any


@functools.cache
def _umask() -> int:
    # The umask can only be read by setting it; do it once, at first use.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_target(target: Path) -> tuple[Path, os.stat_result | None]:
    """The file a write to ``target`` lands in (links followed), and its status if it exists."""
    if not str(target) or not target.name:
        raise ValueError(f"expected the path of a file to write; got {str(target)!r}")
    # A link stays a link: the write goes to the file it points to.
    resolved = Path(os.path.realpath(target))
    try:
        status = os.stat(resolved)
    except FileNotFoundError:
        return resolved, None
    if stat.S_ISDIR(status.st_mode):
        raise IsADirectoryError(f"{target} is a folder; expected the path of a file to write")
    return resolved, status


@contextlib.contextmanager
def atomic_path(target: Path, *, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path that replaces ``target`` on success.

    The temporary file lives in the same folder so that `os.replace` is an atomic rename;
    a crash mid-write leaves the previous ``target`` intact. ``suffix`` keeps writers that insist
    on a file extension (Keras wants ``.keras``) happy. A symbolic link is followed (the link
    stays, the file it points to is replaced); a file that exists keeps its permission bits. A
    FIFO or a device (``/dev/stdout``) is never replaced: the finished bytes are copied into it.
    A folder, or an empty path, is refused with a `ValueError` (`IsADirectoryError` for a
    folder) before anything is written.
    """
    target, status = _write_target(Path(target))
    if status is not None and not stat.S_ISREG(status.st_mode):
        with _special_file_path(target, suffix) as tmp:
            yield tmp
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    import tempfile  # loaded on first write: importing the package stays cheap

    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=suffix or ".tmp", dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp creates the file private (0600): give it the replaced file's mode, or the one a
    # plain open() would.
    os.chmod(tmp, stat.S_IMODE(status.st_mode) if status else 0o666 & ~_umask())
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def _special_file_path(target: Path, suffix: str) -> Iterator[Path]:
    # A FIFO or device cannot be swapped in by a rename (and must not be replaced): write
    # the whole result aside, then stream it in, so a failed writer sends nothing.
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="multilabel-attr-") as folder:
        tmp = Path(folder) / f"{target.name}{suffix or '.tmp'}"
        yield tmp
        with open(tmp, "rb") as source, open(target, "wb") as sink:
            shutil.copyfileobj(source, sink)


def file_digest(path: str | os.PathLike[str], algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes, read in blocks (``algorithm`` as named by `hashlib`)."""
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class FolderBusyError(RuntimeError):
    """Another process holds the lock of a folder that this process wants to write."""


@contextlib.contextmanager
def folder_lock(folder: Path, *, name: str = ".lock", who: str = "") -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` while the block runs; refuse a second holder.

    The lock is an ``flock`` on the file ``folder/name``, which the operating system releases
    when its holder exits in any way, so a killed writer never leaves the folder locked. The
    file is removed on release. Without ``fcntl`` (not POSIX) nothing is locked.

    Raises
    ------
    FolderBusyError
        At once, if another process (or another open of the lock in this one) holds it.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise FolderBusyError(
                f"{who}{': ' if who else ''}{folder} is being written by another process (it "
                f"holds {path}); wait for it to finish, or stop it, then run again"
            ) from None
        # The previous holder removes the file when it lets go: if that happened between the
        # open and the lock, this lock is on a removed file and does not count.
        with contextlib.suppress(FileNotFoundError):
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                break
        os.close(fd)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)


def write_bytes_atomic(target: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_path(Path(target)) as tmp, open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_text_atomic(target: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``target`` atomically."""
    write_bytes_atomic(target, text.encode("utf-8"))


def _json_safe(value: Any) -> Any:
    # Strict JSON has no NaN/inf; a diverged loss must still be recorded, so map it to null.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def write_json_atomic(target: Path, payload: Any) -> None:
    """Write ``payload`` as indented, strict JSON to ``target`` atomically."""
    text = json.dumps(_json_safe(payload), indent=2, allow_nan=False, sort_keys=False)
    write_text_atomic(target, text + "\n")


def json_text(
    payload: Any, path: str | os.PathLike[str] | None = None, *, indent: int = 2
) -> str:
    """``payload`` as strict JSON text; also written atomically to ``path`` when given."""
    text = json.dumps(payload, indent=indent, allow_nan=False)
    if path is not None:
        write_text_atomic(path, text + "\n")
    return text


def read_json(path: str | os.PathLike[str]) -> Any:
    """The JSON document at ``path`` (UTF-8)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_csv_atomic(target: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Write a CSV table to ``target`` atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_text_atomic(target, buffer.getvalue())


def save_atomic(target: Path, save: Callable[[Path], None], *, suffix: str) -> None:
    """Run ``save(tmp_path)`` and atomically move the result to ``target``."""
    with atomic_path(target, suffix=suffix) as tmp:
        save(tmp)


def text_digest(text: str, length: int = 16) -> str:
    """A stable hex digest of ``text`` (the same in every process, unlike ``hash``)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]
