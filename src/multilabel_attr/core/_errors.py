"""The library's typed input errors: what was wrong and where it was found.

An [`InputError`][multilabel_attr.InputError] is a `ValueError` (and an
[`InputTypeError`][multilabel_attr.InputTypeError] also a `TypeError`), so
``except ValueError`` keeps working, and it carries the argument it is about
and, when the data came from a table, the column, file, row group or
partition that held the bad value.  Code that reports an error in other terms
reads these fields; it never parses the message.
"""

from __future__ import annotations

from typing import Any

_PLACES = ("argument", "column", "file", "row_group", "partition")


def _rebuild(cls: type[InputError], message: str, places: dict[str, Any]) -> InputError:
    return cls(message, **places)


class InputError(ValueError):
    """An argument, or a value in the data, that the library refuses.

    Parameters
    ----------
    message : str
        What was received and what was expected.
    argument : str, optional
        The argument of the public call that holds the bad value (``"y_score"``,
        ``"zero_division"``, ...).
    column, file, row_group, partition : optional
        Where a table's bad value lies: the column name, the file, the row
        group within the file, or the partition of a distributed source.

    Examples
    --------
    >>> from multilabel_attr import InputError, f1_score
    >>> try:
    ...     f1_score([[1, 0]], [[0.2, 0.9]], threshold=0.5, zero_division="skip")
    ... except InputError as error:
    ...     print(error.argument, isinstance(error, ValueError))
    zero_division True
    """

    argument: str | None
    column: str | None
    file: str | None
    row_group: int | None
    partition: int | str | None

    def __init__(
        self,
        message: str,
        *,
        argument: str | None = None,
        column: str | None = None,
        file: str | None = None,
        row_group: int | None = None,
        partition: int | str | None = None,
    ) -> None:
        super().__init__(message)
        self.argument = argument
        self.column = column
        self.file = file
        self.row_group = row_group
        self.partition = partition

    @property
    def reason(self) -> str:
        """The message without the argument's name it starts with (for a caller that names
        the value differently, by its column say)."""
        message = str(self)
        if self.argument and message.startswith(self.argument + " "):
            return message[len(self.argument) + 1 :]
        return message

    def located(self, message: str, **places: Any) -> InputError:
        """An error of the same kind, with ``message`` and more places set."""
        return type(self)(message, **{**self.places, **places})

    @property
    def places(self) -> dict[str, Any]:
        """The fields that are set, by name."""
        return {name: getattr(self, name) for name in _PLACES if getattr(self, name) is not None}

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword fields survive pickling (errors cross process boundaries in Dask and Spark).
        return (_rebuild, (type(self), str(self), self.places))


class InputTypeError(InputError, TypeError):
    """An [`InputError`][multilabel_attr.InputError] about a value of the wrong type;
    also a `TypeError`."""
