"""The command line's own refusals, printed in Swedish.

Click prints a `ClickException` as "Error: <message>", an English prefix in
front of a Swedish sentence. The product's commands raise `CliRefusalError`
instead: the same non-zero exit, with "Fel: " in front.
"""

from __future__ import annotations

from typing import IO, Any

import click


class CliRefusalError(click.ClickException):
    """A command refuses to do what was asked; the message is Swedish."""

    def show(self, file: IO[Any] | None = None) -> None:
        """Print "Fel: <message>" to standard error (or `file`)."""
        click.echo(f"Fel: {self.format_message()}", file=file, err=file is None)


__all__ = ["CliRefusalError"]
