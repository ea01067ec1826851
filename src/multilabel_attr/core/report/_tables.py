"""Plain-text and Markdown tables of reports.

Slice keys, factor names and label names come from the user's data: a name holding a
newline, a ``|`` or a ``<`` would break a table row or open raw HTML where the Markdown is
rendered, so they are escaped as they are written.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_LINE_BREAKS = str.maketrans({"\r": " ", "\n": " "})


def plain_text(value: Any) -> str:
    """``value`` on one line of text: its line breaks written as ``\\n``."""
    return str(value).replace("\r", "\\r").replace("\n", "\\n")


def markdown_text(value: Any) -> str:
    """``value`` as Markdown text inside a table cell or a heading: on one line, its ``|``
    escaped and ``<`` and ``&`` written as entities (no raw HTML)."""
    text = str(value).translate(_LINE_BREAKS)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|")


def text_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A table of aligned columns: the first left-aligned, the others right-aligned."""
    cells = [[plain_text(c) for c in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        first = row[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        return "  ".join([first, *rest]).rstrip()

    return "\n".join([line(cells[0]), line(["-" * w for w in widths]), *map(line, cells[1:])])


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown (GitHub) table, every cell escaped by `markdown_text`."""

    def line(cells: Sequence[Any]) -> str:
        return "|" + "|".join(f" {markdown_text(c)} " if str(c) else " " for c in cells) + "|"

    separator = "|" + "|".join(["---"] * len(header)) + "|"
    return "\n".join([line(header), separator, *map(line, rows)])
