"""TFRecord framing and ``tf.train.Example`` encoding, written without TensorFlow.

Conversion writes records here so that it runs in light worker processes and in environments
without the ``tf`` extra; reading checks the framing here too.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# TFRecord framing ----------------------------------------------------------------------------
# Each record is: uint64 length | uint32 masked crc32c(length) | data | uint32 masked crc32c(data).
# Records are written here (no TensorFlow needed); on reading, length checksums are verified
# here and data checksums by TensorFlow's reader, which checks them while reading.


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def _crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), with the google-crc32c C implementation when installed."""
    try:
        import google_crc32c
    except ImportError:  # the pure-Python table: fine for headers, slow for images
        crc = 0xFFFFFFFF
        for b in data:
            crc = _CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
        return crc ^ 0xFFFFFFFF
    return int(google_crc32c.value(data))


def _masked_crc32c(data: bytes) -> int:
    """The masked CRC-32C that TFRecord framing stores after the length and the data."""
    crc = _crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


class _RecordWriter:
    """Writes TFRecord framing: length, masked CRC of the length, data, masked CRC of the data.

    The format is four fields per record, so the writer needs no TensorFlow: conversion
    runs in light worker processes and in environments without the ``tf`` extra.
    """

    def __init__(self, path: Path) -> None:
        self._handle = open(path, "wb")  # noqa: SIM115 (closed in close())
        # The manifest's checksum, computed as the bytes go out instead of re-reading them.
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, record: bytes) -> None:
        length = struct.pack("<Q", len(record))
        frame = (
            length,
            struct.pack("<I", _masked_crc32c(length)),
            record,
            struct.pack("<I", _masked_crc32c(record)),
        )
        for part in frame:
            self._handle.write(part)
            self.sha256.update(part)
        self.size += 16 + len(record)

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> _RecordWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _records(path: Path, *, digest: Any = None) -> Iterator[tuple[int, bytes] | str]:
    """Yield ``(offset, data)`` per record, or one message describing the first fault.

    Every byte read goes to ``digest`` (a hashlib object), so one sequential pass gives the
    file's checksum, the framing, each record's data checksum and the data.
    """
    size = path.stat().st_size
    with path.open("rb") as fh:
        offset = index = 0
        while offset < size:
            head = fh.read(12)
            if len(head) < 12:
                yield f"record {index} at byte {offset}: truncated header"
                return
            length, crc = struct.unpack("<QI", head)
            if _masked_crc32c(head[:8]) != crc:
                yield f"record {index} at byte {offset}: corrupt length field"
                return
            if offset + 16 + length > size:
                yield (
                    f"record {index} at byte {offset}: truncated (needs {16 + length} bytes, "
                    f"{size - offset} left)"
                )
                return
            data, tail = fh.read(length), fh.read(4)
            if digest is not None:
                for part in (head, data, tail):
                    digest.update(part)
            if _masked_crc32c(data) != struct.unpack("<I", tail)[0]:
                yield f"record {index} at byte {offset}: data checksum mismatch (corrupt record)"
                return
            yield offset, data
            offset += 16 + length
            index += 1


def _scan_framing(path: Path) -> Iterator[tuple[int, int] | str]:
    """Yield (offset, length) per record, or one message string describing bad framing."""
    for item in _records(path):
        yield item if isinstance(item, str) else (item[0], len(item[1]))


# tf.train.Example encoding ------------------------------------------------------------------


def _varint(value: int) -> bytes:
    """Protocol-buffer varint of a non-negative int."""
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(tag: int, payload: bytes) -> bytes:
    """A length-delimited protocol-buffer field (wire type 2)."""
    size = len(payload)
    return (
        bytes((tag << 3 | 2, size)) + payload
        if size < 0x80
        else (bytes((tag << 3 | 2,)) + _varint(size) + payload)
    )


def _entry_prefix(key: str) -> bytes:
    # A Features.feature map entry starts with its key (field 1) and the Feature's tag (field 2).
    return _field(1, key.encode("ascii")) + bytes((2 << 3 | 2,))


_FILENAME, _IDENTITY, _IMAGE, _NUMBER, _LABELS = (
    _entry_prefix(k) for k in ("filename", "identity", "image", "image_number", "labels")
)


def _map_entry(prefix: bytes, feature: bytes) -> bytes:
    """One map entry: the constant key prefix, the Feature's length and the Feature."""
    return _field(1, prefix + _varint(len(feature)) + feature)


def _bytes_feature(value: bytes) -> bytes:
    return _field(1, _field(1, value))  # Feature.bytes_list -> BytesList.value


def _int64_feature(packed_varints: bytes) -> bytes:
    return _field(3, _field(1, packed_varints))  # Feature.int64_list -> packed Int64List.value


def _example_bytes(
    image: bytes, filename: str, number: int, labels: bytes, identity: int | None
) -> bytes:
    """A serialised ``tf.train.Example`` holding one image and its annotations.

    Encoded directly rather than through the protobuf classes: building message objects
    per image costs more than reading the image.  ``labels`` holds the 0/1 labels as one
    byte each, which is already their packed varint encoding.  Map entries are written in
    sorted key order, so the same inputs always give the same bytes.
    """
    entries = [_map_entry(_FILENAME, _bytes_feature(filename.encode("utf-8")))]
    if identity is not None:
        entries.append(_map_entry(_IDENTITY, _int64_feature(_varint(identity))))
    entries.append(_map_entry(_IMAGE, _bytes_feature(image)))
    entries.append(_map_entry(_NUMBER, _int64_feature(_varint(number))))
    entries.append(_map_entry(_LABELS, _int64_feature(labels)))
    return _field(1, b"".join(entries))  # Example.features -> Features.feature (map entries)


# tf.train.Example decoding, of the bytes features only ----------------------------------------


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("bad varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, bytes]]:
    """The length-delimited fields of a protocol-buffer message; others are skipped."""
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        wire = key & 7
        if wire == 2:
            size, pos = _read_varint(data, pos)
            if pos + size > len(data):
                raise ValueError("field runs past the end of the message")
            yield key >> 3, data[pos : pos + size]
            pos += size
        elif wire == 0:
            _, pos = _read_varint(data, pos)
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise ValueError(f"unsupported wire type {wire}")


def _bytes_features(record: bytes) -> dict[str, bytes]:
    """The first value of each bytes feature of a serialised ``tf.train.Example``.

    Raises ``ValueError`` if ``record`` is not a well-formed message.
    """
    out: dict[str, bytes] = {}
    for _, features in (f for f in _fields(record) if f[0] == 1):  # Example.features
        for _, entry in (f for f in _fields(features) if f[0] == 1):  # Features.feature
            parts = dict(_fields(entry))  # map entry: key (1) and Feature (2)
            if 1 not in parts or 2 not in parts:
                continue
            for tag, values in _fields(parts[2]):
                if tag == 1:  # Feature.bytes_list
                    first = next((v for t, v in _fields(values) if t == 1), None)
                    if first is not None:
                        out[parts[1].decode("utf-8")] = first
    return out
