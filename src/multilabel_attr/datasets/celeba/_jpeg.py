"""Cheap completeness checks of JPEG files, so that a damaged image is named where it enters.

A truncated JPEG otherwise passes conversion and only fails in the middle of training, inside
TensorFlow's decoder, naming no file. The default check reads no pixels: the start-of-image and
end-of-image markers and the chain of segments up to the frame header, whose image size must be
non-zero. A full decode with Pillow is available for when that is not enough.
"""

from __future__ import annotations

import io
import struct

_SOI = b"\xff\xd8\xff"
_EOI = b"\xff\xd9"
# Start-of-frame markers (SOF0..SOF15 without DHT, JPG and DAC), which carry the image size.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})  # TEM, RST0..RST7, SOI: no length field


def jpeg_problem(data: bytes) -> str | None:
    """What is wrong with ``data`` as a complete JPEG file, or ``None`` if nothing is found.

    Checks the markers and the frame header only; see `decode_problem` for a full decode.
    Zero bytes after the end-of-image marker (padding some writers add) are accepted.
    """
    if not data.startswith(_SOI):
        return f"not a JPEG file (starts with {data[:4]!r})"
    if not data.rstrip(b"\x00").endswith(_EOI):
        return "truncated JPEG (it does not end with the end-of-image marker)"
    pos, size = 2, len(data)
    while pos + 4 <= size:
        if data[pos] != 0xFF:
            return f"corrupt JPEG (no segment marker at byte {pos})"
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if length < 2 or pos + 2 + length > size:
            return f"truncated JPEG (the segment at byte {pos} runs past the end of the file)"
        if marker in _SOF:
            if length < 8:
                return f"corrupt JPEG (frame header at byte {pos} is {length} bytes long)"
            height, width = struct.unpack_from(">HH", data, pos + 5)
            if height == 0 or width == 0:
                return f"corrupt JPEG (frame header gives size {width}x{height})"
            return None
        if marker == 0xDA:  # start of scan before any frame header
            return "corrupt JPEG (image data before the frame header)"
        pos += 2 + length
    return "truncated JPEG (no frame header)"


def decode_problem(data: bytes) -> str | None:
    """`jpeg_problem`, then a full decode with Pillow (slow: every pixel is decoded)."""
    problem = jpeg_problem(data)
    if problem is not None:
        return problem
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except (OSError, ValueError, SyntaxError) as exc:  # Pillow's errors for bad image data
        return f"undecodable JPEG ({exc})"
    return None
