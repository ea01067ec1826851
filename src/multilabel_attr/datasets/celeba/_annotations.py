"""Readers and writers for the CelebA annotation files (numpy only).

The readers tokenise the whole file with numpy instead of splitting it line by line in Python, so
the 202,599-row attribute file parses in a fraction of a second; when something is wrong they fall
back to locating the first offending line so that the error names the file and the line number.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..._io import write_bytes_atomic

__all__ = [
    "ATTRIBUTES",
    "SPLITS",
    "AnnotationError",
    "Annotations",
    "format_attributes",
    "format_identities",
    "format_partition",
    "read_attributes",
    "read_identities",
    "read_partition",
    "write_attributes",
    "write_identities",
    "write_partition",
]

ATTRIBUTES: tuple[str, ...] = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs",
    "Big_Lips", "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows",
    "Chubby", "Double_Chin", "Eyeglasses", "Goatee", "Gray_Hair", "Heavy_Makeup",
    "High_Cheekbones", "Male", "Mouth_Slightly_Open", "Mustache", "Narrow_Eyes", "No_Beard",
    "Oval_Face", "Pale_Skin", "Pointy_Nose", "Receding_Hairline", "Rosy_Cheeks", "Sideburns",
    "Smiling", "Straight_Hair", "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat",
    "Wearing_Lipstick", "Wearing_Necklace", "Wearing_Necktie", "Young",
)  # fmt: skip
"""The 40 CelebA attribute names in the canonical column order of ``list_attr_celeba.txt``."""

SPLITS: tuple[str, ...] = ("train", "validation", "test")
"""Split names, indexed by the partition code (0, 1, 2) of ``list_eval_partition.txt``."""

_SEPARATORS = np.zeros(256, dtype=bool)
_SEPARATORS[[ord(" "), ord("\t"), ord("\r"), ord("\n"), ord(",")]] = True


class AnnotationError(ValueError):
    """A CelebA annotation file is malformed; the message names the file and the line."""

    def __init__(self, path: str | os.PathLike[str], line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class _Table:
    """Whitespace/comma separated tokens of a text file, grouped by line."""

    data: bytes
    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    token_line: npt.NDArray[np.int64]  # 1-based line number of each token

    def token(self, i: int) -> str:
        return self.data[int(self.starts[i]) : int(self.ends[i])].decode("utf-8", "replace")

    def line_text(self, line: int) -> str:
        lines = self.data.split(b"\n")
        return (
            lines[line - 1].rstrip(b"\r").decode("utf-8", "replace") if line <= len(lines) else ""
        )


def _tokenize(path: Path) -> _Table:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"CelebA annotation file not found: {path}") from None
    if not data.strip():
        raise AnnotationError(path, None, "the file is empty")
    buf = np.frombuffer(data, dtype=np.uint8)
    sep = _SEPARATORS[buf]
    # A token starts where a non-separator follows a separator (or the file start).
    prev_sep = np.empty_like(sep)
    prev_sep[0] = True
    prev_sep[1:] = sep[:-1]
    next_sep = np.empty_like(sep)
    next_sep[-1:] = True
    next_sep[:-1] = sep[1:]
    starts = np.flatnonzero(~sep & prev_sep).astype(np.int64)
    ends = np.flatnonzero(~sep & next_sep).astype(np.int64) + 1
    newlines = np.flatnonzero(buf == ord("\n"))
    token_line = np.searchsorted(newlines, starts).astype(np.int64) + 1
    return _Table(data, starts, ends, token_line)


def _rows(
    table: _Table, path: Path, first_line: int, width: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Return (starts, ends) of shape (n, width) for the tokens on lines >= ``first_line``,
    and the line number of each row."""
    begin = int(np.searchsorted(table.token_line, first_line))
    lines = table.token_line[begin:]
    if lines.size == 0:
        empty = np.empty((0, width), np.int64)
        return empty, empty, np.empty(0, np.int64)
    # Lines are sorted, so run lengths give the number of fields on each non-empty line.
    change = np.flatnonzero(np.diff(lines)) + 1
    run_starts = np.concatenate(([0], change))
    counts = np.diff(np.concatenate((run_starts, [lines.size])))
    bad = np.flatnonzero(counts != width)
    if bad.size:
        line = int(lines[run_starts[bad[0]]])
        raise AnnotationError(
            path,
            line,
            f"expected {width} fields, found {int(counts[bad[0]])}: {table.line_text(line)!r}",
        )
    return (
        table.starts[begin:].reshape(-1, width),
        table.ends[begin:].reshape(-1, width),
        lines[::width],
    )


def _strings(
    table: _Table,
    path: Path,
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    lines: npt.NDArray[np.int64],
) -> list[str]:
    data = table.data
    try:
        return [
            data[s:e].decode("utf-8") for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
        ]
    except UnicodeDecodeError:
        for i, (s, e) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
            try:
                data[s:e].decode("utf-8")
            except UnicodeDecodeError:
                raise AnnotationError(
                    path, int(lines[i]), f"{data[s:e]!r} is not valid UTF-8 text"
                ) from None
        raise  # pragma: no cover - the loop finds the field that failed


def _check_filenames(path: Path, names: list[str], lines: npt.NDArray[np.int64]) -> None:
    """Ids must be plain file names, strictly increasing (as in the CelebA files)."""
    if not names:
        raise AnnotationError(path, None, "the file lists no images")
    # A name is joined to the image folder: it must not lead anywhere else.
    unsafe = [i for i, n in enumerate(names) if "/" in n or "\\" in n or n in (".", "..")]
    if unsafe:
        i = unsafe[0]
        raise AnnotationError(
            path, int(lines[i]), f"image id {names[i]!r} is not a plain file name"
        )
    if len(names) < 2:
        return
    arr = np.array(names)
    order_bad = np.flatnonzero(arr[1:] <= arr[:-1])
    if order_bad.size:
        i = int(order_bad[0]) + 1
        kind = "duplicate" if names[i] == names[i - 1] else "unsorted"
        raise AnnotationError(
            path,
            int(lines[i]),
            f"{kind} image id {names[i]!r} (after {names[i - 1]!r}); ids must be strictly "
            "increasing",
        )


def _signed_values(
    table: _Table,
    path: Path,
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    columns: Sequence[str],
    lines: npt.NDArray[np.int64],
) -> npt.NDArray[np.uint8]:
    buf = np.frombuffer(table.data, dtype=np.uint8)
    length = ends - starts
    first = buf[starts]
    second = buf[np.minimum(starts + 1, buf.size - 1)]
    one = (length == 1) & (first == ord("1"))
    minus_one = (length == 2) & (first == ord("-")) & (second == ord("1"))
    ok = one | minus_one
    if not ok.all():
        row, col = (int(v[0]) for v in np.nonzero(~ok))
        value = table.data[int(starts[row, col]) : int(ends[row, col])].decode("utf-8", "replace")
        raise AnnotationError(
            path,
            int(lines[row]),
            f"value {value!r} for attribute {columns[col]!r} is not -1 or 1",
        )
    out: npt.NDArray[np.uint8] = one.astype(np.uint8)
    return out


def _header_names(table: _Table, path: Path, line: int, expect_id: bool) -> list[str]:
    idx = np.flatnonzero(table.token_line == line)
    names = [table.token(int(i)) for i in idx]
    if expect_id:
        if not names or names[0] != "image_id":
            raise AnnotationError(
                path, line, f"expected a header starting with 'image_id', got {names[:1]!r}"
            )
        names = names[1:]
    unknown = [n for n in names if n not in ATTRIBUTES]
    if unknown:
        raise AnnotationError(
            path, line, f"unknown attribute name(s) {unknown}; expected the 40 CelebA attributes"
        )
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise AnnotationError(path, line, f"duplicate attribute name(s) {dup}")
    missing = [n for n in ATTRIBUTES if n not in names]
    if missing:
        raise AnnotationError(path, line, f"missing attribute name(s) {missing}")
    return names


def read_attributes(path: str | os.PathLike[str]) -> tuple[list[str], npt.NDArray[np.uint8]]:
    """Read ``list_attr_celeba.txt`` (official) or ``list_attr_celeba.csv`` (Kaggle).

    Parameters
    ----------
    path
        The attribute file. A ``.csv`` suffix selects the Kaggle format (header ``image_id`` and
        the 40 names, comma separated); anything else the official text format (count line, the
        40 names, then one ``NNNNNN.jpg`` row of 40 values of -1/1 per image).

    Returns
    -------
    filenames : list of str
        Image file names in file order.
    labels : numpy.ndarray
        ``uint8`` array of shape ``(n, 40)`` holding 0/1, columns in
        [`ATTRIBUTES`][multilabel_attr.datasets.celeba.ATTRIBUTES] order (a file whose header
        permutes the names is reordered).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    AnnotationError
        (a ``ValueError``) naming the file and line for a wrong field count, a value other than
        -1/1, a count line that disagrees with the rows, duplicate or unsorted ids, or unknown
        attribute names.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> labels = np.zeros((2, 40), np.uint8); labels[1, 20] = 1
    >>> write_attributes(d / "list_attr_celeba.txt", ["000001.jpg", "000002.jpg"], labels)
    >>> names, read = read_attributes(d / "list_attr_celeba.txt")
    >>> names, int(read[1, ATTRIBUTES.index("Male")])
    (['000001.jpg', '000002.jpg'], 1)
    """
    p = Path(path)
    table = _tokenize(p)
    csv = p.suffix.lower() == ".csv"
    if csv:
        header_line, first_line = 1, 2
    else:
        header_line, first_line = 2, 3
        count_idx = np.flatnonzero(table.token_line == 1)
        count = table.token(int(count_idx[0])) if count_idx.size == 1 else ""
        if not (count.isascii() and count.isdigit() and len(count) <= 18):
            raise AnnotationError(p, 1, f"expected the image count, got {table.line_text(1)!r}")
    names = _header_names(table, p, header_line, expect_id=csv)
    starts, ends, lines = _rows(table, p, first_line, 41)
    filenames = _strings(table, p, starts[:, 0], ends[:, 0], lines)
    if not csv:
        declared = int(table.token(int(np.flatnonzero(table.token_line == 1)[0])))
        if declared != len(filenames):
            raise AnnotationError(
                p, 1, f"count line says {declared} images but the file has {len(filenames)} rows"
            )
    _check_filenames(p, filenames, lines)
    values = _signed_values(table, p, starts[:, 1:], ends[:, 1:], names, lines)
    if tuple(names) != ATTRIBUTES:
        values = values[:, [names.index(a) for a in ATTRIBUTES]]
    return filenames, np.ascontiguousarray(values)


def _read_pairs(
    path: str | os.PathLike[str], header: tuple[str, str] | None
) -> tuple[Path, list[str], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    p = Path(path)
    table = _tokenize(p)
    csv = p.suffix.lower() == ".csv"
    first_line = 1
    if csv:
        idx = np.flatnonzero(table.token_line == 1)
        got = tuple(table.token(int(i)) for i in idx)
        if header is not None and got != header:
            raise AnnotationError(
                p, 1, f"expected header {','.join(header)!r}, got {','.join(got)!r}"
            )
        first_line = 2
    starts, ends, lines = _rows(table, p, first_line, 2)
    filenames = _strings(table, p, starts[:, 0], ends[:, 0], lines)
    _check_filenames(p, filenames, lines)
    raw = _strings(table, p, starts[:, 1], ends[:, 1], lines)
    # At most 18 digits: every such number fits the int64 array they are read into.
    bad = [i for i, v in enumerate(raw) if not (v.isascii() and v.isdigit() and len(v) <= 18)]
    if bad:
        value = raw[bad[0]]
        expected = (
            "an integer below 10**18"
            if value.isascii() and value.isdigit()
            else ("a non-negative integer")
        )
        raise AnnotationError(p, int(lines[bad[0]]), f"expected {expected}, got {value!r}")
    values = np.array(raw, dtype=np.int64) if raw else np.empty(0, np.int64)
    return p, filenames, values, lines


def read_partition(path: str | os.PathLike[str]) -> tuple[list[str], npt.NDArray[np.uint8]]:
    """Read ``list_eval_partition.txt`` (``NNNNNN.jpg P``) or the Kaggle ``.csv``.

    Returns
    -------
    filenames : list of str
    partition : numpy.ndarray
        ``uint8`` codes, 0 train, 1 validation, 2 test (see `SPLITS`).

    Raises
    ------
    AnnotationError
        Naming file and line for a wrong field count, a code outside 0/1/2, or duplicate or
        unsorted ids.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> f = Path(tempfile.mkdtemp()) / "list_eval_partition.txt"
    >>> write_partition(f, ["000001.jpg", "000002.jpg"], np.array([0, 2]))
    >>> read_partition(f)[1].tolist()
    [0, 2]
    """
    p, filenames, values, lines = _read_pairs(path, ("image_id", "partition"))
    bad = np.flatnonzero(values > 2)
    if bad.size:
        raise AnnotationError(
            p,
            int(lines[bad[0]]),
            f"partition {int(values[bad[0]])} is not 0 (train), 1 (validation) or 2 (test)",
        )
    return filenames, values.astype(np.uint8)


def read_identities(path: str | os.PathLike[str]) -> tuple[list[str], npt.NDArray[np.int64]]:
    """Read ``identity_CelebA.txt`` (``NNNNNN.jpg ID``, identities 1..10177).

    Returns
    -------
    filenames : list of str
    identities : numpy.ndarray of int64

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from pathlib import Path
    >>> f = Path(tempfile.mkdtemp()) / "identity_CelebA.txt"
    >>> write_identities(f, ["000001.jpg"], np.array([2880]))
    >>> read_identities(f)[1].tolist()
    [2880]
    """
    p, filenames, values, lines = _read_pairs(path, None)
    bad = np.flatnonzero(values < 1)
    if bad.size:
        raise AnnotationError(
            p, int(lines[bad[0]]), "identity 0 is not valid (CelebA identities start at 1)"
        )
    return filenames, values


def _check_labels(filenames: Sequence[str], labels: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    arr = np.asarray(labels)
    if arr.ndim != 2 or arr.shape[1] != len(ATTRIBUTES):
        raise ValueError(f"labels: expected shape (n, 40), got {arr.shape}")
    if arr.shape[0] != len(filenames):
        raise ValueError(f"labels: {arr.shape[0]} rows for {len(filenames)} filenames")
    if not np.isin(arr, (0, 1)).all():
        raise ValueError("labels: expected only 0 and 1")
    return arr.astype(np.uint8)


def format_attributes(filenames: Sequence[str], labels: npt.ArrayLike) -> bytes:
    """Return the bytes of ``list_attr_celeba.txt`` for 0/1 ``labels`` (exactly the real layout).

    The first value follows the file name after one space; the other 39 are right-aligned in
    3-character fields; lines end with CRLF and the names line keeps its trailing space.
    """
    arr = _check_labels(filenames, labels)
    head = f"{len(filenames)}\r\n{' '.join(ATTRIBUTES)} \r\n".encode("ascii")
    first = np.where(arr[:, 0] == 1, b" 1", b" -1")
    rest = np.where(arr[:, 1:] == 1, b"  1", b" -1").astype("S3")
    rest_rows = rest.view(f"S{3 * (len(ATTRIBUTES) - 1)}").ravel()
    body = b"".join(
        f.encode("ascii") + a + r + b"\r\n"
        for f, a, r in zip(filenames, first.tolist(), rest_rows.tolist(), strict=False)
    )
    return head + body


def format_partition(filenames: Sequence[str], partition: npt.ArrayLike) -> bytes:
    """Return the bytes of ``list_eval_partition.txt`` (``NNNNNN.jpg P`` with CRLF)."""
    codes = np.asarray(partition)
    if codes.shape != (len(filenames),) or not np.isin(codes, (0, 1, 2)).all():
        raise ValueError(
            f"partition: expected {len(filenames)} codes in {{0, 1, 2}}, got shape {codes.shape}"
        )
    return b"".join(
        f"{f} {int(c)}\r\n".encode("ascii") for f, c in zip(filenames, codes.tolist(), strict=False)
    )


def format_identities(filenames: Sequence[str], identities: npt.ArrayLike) -> bytes:
    """Return the bytes of ``identity_CelebA.txt`` (``NNNNNN.jpg ID`` with CRLF)."""
    ids = np.asarray(identities)
    if ids.shape != (len(filenames),) or ids.dtype.kind not in "iu":
        raise ValueError(
            f"identities: expected {len(filenames)} integers, got shape {ids.shape} "
            f"dtype {ids.dtype}"
        )
    return b"".join(
        f"{f} {int(i)}\r\n".encode("ascii") for f, i in zip(filenames, ids.tolist(), strict=False)
    )


def _format_csv(
    filenames: Sequence[str], header: Sequence[str], rows: npt.NDArray[np.int64]
) -> bytes:
    lines = [",".join(header)]
    lines += [
        f + "," + ",".join(map(str, r)) for f, r in zip(filenames, rows.tolist(), strict=False)
    ]
    return ("\n".join(lines) + "\n").encode("ascii")


def write_attributes(
    path: str | os.PathLike[str], filenames: Sequence[str], labels: npt.ArrayLike
) -> None:
    """Atomically write an attribute file; ``.csv`` writes the Kaggle layout (values -1/1)."""
    if Path(path).suffix.lower() == ".csv":
        arr = _check_labels(filenames, labels).astype(np.int64) * 2 - 1
        write_bytes_atomic(path, _format_csv(filenames, ("image_id", *ATTRIBUTES), arr))
    else:
        write_bytes_atomic(path, format_attributes(filenames, labels))


def write_partition(
    path: str | os.PathLike[str], filenames: Sequence[str], partition: npt.ArrayLike
) -> None:
    """Atomically write a partition file; ``.csv`` writes the Kaggle layout."""
    if Path(path).suffix.lower() == ".csv":
        format_partition(filenames, partition)  # validates
        rows = np.asarray(partition, dtype=np.int64).reshape(-1, 1)
        write_bytes_atomic(path, _format_csv(filenames, ("image_id", "partition"), rows))
    else:
        write_bytes_atomic(path, format_partition(filenames, partition))


def write_identities(
    path: str | os.PathLike[str], filenames: Sequence[str], identities: npt.ArrayLike
) -> None:
    """Atomically write ``identity_CelebA.txt``."""
    write_bytes_atomic(path, format_identities(filenames, identities))


@dataclass(frozen=True)
class Annotations:
    """The joined annotation files of one CelebA folder.

    Attributes
    ----------
    filenames : list of str
        Image file names in file order.
    labels : numpy.ndarray
        ``uint8`` (n, 40) 0/1 labels in [`ATTRIBUTES`][multilabel_attr.datasets.celeba.ATTRIBUTES]
        order.
    partition : numpy.ndarray
        ``uint8`` split codes (0 train, 1 validation, 2 test).
    identities : numpy.ndarray or None
        ``int64`` identity per image, when an identity file exists.
    """

    filenames: list[str]
    labels: npt.NDArray[np.uint8]
    partition: npt.NDArray[np.uint8]
    identities: npt.NDArray[np.int64] | None

    def split(self, name: str) -> npt.NDArray[np.int64]:
        """Return the row indices (file order) of split ``name`` ("train", "validation", "test")."""
        if name not in SPLITS:
            raise ValueError(f"split: expected one of {SPLITS}, got {name!r}")
        return np.flatnonzero(self.partition == SPLITS.index(name)).astype(np.int64)


def join_annotations(
    attributes: str | os.PathLike[str],
    partition: str | os.PathLike[str],
    identities: str | os.PathLike[str] | None = None,
) -> Annotations:
    """Read and cross-check the attribute, partition and (optional) identity files.

    Raises
    ------
    AnnotationError
        If the partition (or identity) file does not list exactly the attribute file's images,
        naming the first image that is missing and its line in the attribute file.
    """
    names, labels = read_attributes(attributes)
    first_line = 2 if Path(attributes).suffix.lower() == ".csv" else 3
    pnames, codes = read_partition(partition)
    _check_cover(names, pnames, Path(attributes), Path(partition), first_line)
    ids = None
    if identities is not None:
        inames, ids = read_identities(identities)
        _check_cover(names, inames, Path(attributes), Path(identities), first_line)
    return Annotations(names, labels, codes, ids)


def _check_cover(
    names: list[str], other: list[str], attr_path: Path, other_path: Path, first_line: int
) -> None:
    if names == other:
        return
    other_set = set(other)
    for i, n in enumerate(names):
        if n not in other_set:
            raise AnnotationError(
                attr_path,
                first_line + i,
                f"image {n!r} is not listed in "
                f"{other_path}; that file must cover the attribute file",
            )
    name_set = set(names)
    extra = next(n for n in other if n not in name_set)
    raise AnnotationError(
        other_path, None, f"image {extra!r} is not in the attribute file {attr_path}"
    )
