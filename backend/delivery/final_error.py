"""The reason a send gives once Kivra's temporary faults have used up its attempts.

While a send waits to be tried again its reason is Kivra's message, which says
that the attempt is retried automatically. The last attempt's reason must not
say so: the row has failed and nothing tries it again. It says what happened
(Kivra answered with an error, or gave no answer, that many times), that the
document was not sent, and what to do.
"""

from __future__ import annotations

from backend.kivra.errors import (
    KivraApiError,
    KivraDecodeError,
    KivraError,
    KivraTransportError,
)


def final_error(
    exc: KivraError,
    attempts: int,
    *,
    not_sent: tuple[str, str],
    again: tuple[str, str],
) -> tuple[str, str]:
    """Swedish and English reason for a send that failed after `attempts` tries.

    `not_sent` says the document was not sent ("fakturan skickades inte",
    "the invoice was not sent"); `again` says what to do now.
    """
    times_sv = "en gång" if attempts == 1 else f"{attempts} gånger"
    times_en = "once" if attempts == 1 else f"{attempts} times"
    tries_sv = f"{attempts} försök"
    tries_en = "1 attempt" if attempts == 1 else f"{attempts} attempts"
    if isinstance(exc, KivraTransportError):
        what = (
            f"Kivra gav inget svar på {tries_sv}",
            f"Kivra gave no answer to {tries_en}",
        )
    elif isinstance(exc, KivraDecodeError):
        what = (
            f"Kivras svar gick inte att tolka vid {tries_sv}",
            f"Kivra's answer could not be read on {tries_en}",
        )
    elif isinstance(exc, KivraApiError):
        what = (
            f"Kivra svarade med ett fel {times_sv} (senast {exc.status})",
            f"Kivra answered with an error {times_en} (last {exc.status})",
        )
    else:
        what = (
            f"Kivra kunde inte ta emot den på {tries_sv}",
            f"Kivra could not take it in {tries_en}",
        )
    # A reason that names the fault (such as a refused login) is kept; the
    # generic ones promising another attempt are not.
    named = isinstance(exc, KivraApiError) and not exc.retryable
    detail_sv = f" {exc.message_sv}" if named else ""
    detail_en = f" {exc.message_en}" if named else ""
    return (
        f"{what[0]}; {not_sent[0]}.{detail_sv} {again[0]}",
        f"{what[1]}; {not_sent[1]}.{detail_en} {again[1]}",
    )
