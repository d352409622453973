"""The routing rule, the release time and the retry delays, without I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from backend.delivery.planning import release_time
from backend.delivery.routing import (
    REASON_TEXTS,
    UNREACHABLE_TEXTS,
    EmployeeFacts,
    Reason,
    age_on,
    route,
    unreachable_reason,
    valid_personnummer,
)
from backend.delivery.service import retry_delay

PAY_DATE = date(2026, 11, 25)
# Skatteverket's well-known test number: born 1912-12-12.
ADULT = "191212121212"
# Born 2010-01-01 with a valid check digit: 16 on the pay date.
MINOR = "201001019882"
# A samordningsnummer: day of birth plus 60, valid check digit.
SAMORDNING = "199001619882"


def facts(
    personnummer: str = ADULT,
    *,
    id_kind: str = "personnummer",
    protected: bool = False,
    enrolled: bool = True,
    ended: date | None = None,
) -> EmployeeFacts:
    return EmployeeFacts(
        personnummer=personnummer,
        id_kind=id_kind,
        protected_identity=protected,
        min_lon_enrolled=enrolled,
        employment_end=ended,
    )


def decide(
    f: EmployeeFacts, *, enabled: bool = True, user: bool = False, retains: bool = False
):  # type: ignore[no-untyped-def]
    return route(
        f,
        kivra_enabled=enabled,
        is_kivra_user=user,
        company_retains=retains,
        pay_date=PAY_DATE,
    )


def test_routing_test_numbers_are_what_they_claim() -> None:
    assert valid_personnummer(ADULT) == ADULT
    assert valid_personnummer(MINOR) == MINOR
    assert valid_personnummer(SAMORDNING) == SAMORDNING
    assert age_on(MINOR, PAY_DATE) == 16


@pytest.mark.parametrize(
    ("employee", "kwargs", "expected"),
    [
        (facts(), {"user": True}, (True, False, Reason.KIVRA_USER, True)),
        (facts(), {}, (False, False, Reason.NOT_IN_KIVRA, True)),
        (facts(enrolled=False), {}, (False, False, Reason.NOT_IN_KIVRA, False)),
        (
            facts(enrolled=False),
            {"retains": True},
            (False, True, Reason.RETAINED, True),
        ),
        (
            facts(),
            {"user": True, "enabled": False},
            (False, False, Reason.KIVRA_NOT_ACTIVE, True),
        ),
        (
            facts(protected=True),
            {"user": True},
            (False, False, Reason.PROTECTED_IDENTITY, True),
        ),
        (
            facts(protected=True, enrolled=False),
            {"user": True, "retains": True},
            (False, False, Reason.PROTECTED_IDENTITY, False),
        ),
        (facts(MINOR), {"user": True}, (False, False, Reason.UNDER_18, True)),
        (
            facts(SAMORDNING, id_kind="samordningsnummer"),
            {"user": True},
            (False, False, Reason.SAMORDNINGSNUMMER, True),
        ),
        (
            facts(ADULT[:-1] + "3"),
            {"user": True},
            (False, False, Reason.INVALID_PERSONNUMMER, True),
        ),
        (
            facts(ended=date(2026, 10, 31)),
            {"user": True},
            (True, False, Reason.KIVRA_USER, True),
        ),
        (
            facts(ended=date(2026, 10, 31)),
            {},
            (False, False, Reason.LEFT_COMPANY, False),
        ),
        (
            facts(ended=date(2026, 10, 31)),
            {"retains": True},
            (False, True, Reason.LEFT_COMPANY, True),
        ),
    ],
)
def test_routing_rule_picks_channel_and_reason(
    employee: EmployeeFacts,
    kwargs: dict[str, bool],
    expected: tuple[bool, bool, Reason, bool],
) -> None:
    decision = decide(employee, **kwargs)
    assert (
        decision.to_kivra,
        decision.retain_in_kivra,
        decision.reason,
        decision.reachable,
    ) == expected


def test_release_time_is_six_in_the_morning_swedish_time() -> None:
    # Winter time (UTC+1) and summer time (UTC+2).
    assert release_time(date(2026, 11, 25)) == datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
    assert release_time(date(2026, 6, 25)) == datetime(2026, 6, 25, 4, 0, tzinfo=UTC)


def test_retry_delay_grows_and_is_capped() -> None:
    delays = [retry_delay(n, max_wait=10, retry_after=None) for n in range(1, 7)]
    assert delays[:4] == [timedelta(seconds=s) for s in (1, 2, 4, 8)]
    assert delays[-1] == timedelta(seconds=10)
    assert retry_delay(1, max_wait=120, retry_after=60) == timedelta(seconds=60)
    assert retry_delay(1, max_wait=5, retry_after=60) == timedelta(seconds=5)


def test_routing_unreachable_reason_keeps_only_the_cause() -> None:
    sv, en = REASON_TEXTS[Reason.NOT_IN_KIVRA]
    said_sv = unreachable_reason(sv, UNREACHABLE_TEXTS[0])
    said_en = unreachable_reason(en, UNREACHABLE_TEXTS[1])
    assert said_sv == f"Har inte Kivra. {UNREACHABLE_TEXTS[0]}"
    assert said_en == f"Not in Kivra. {UNREACHABLE_TEXTS[1]}"
    assert "publiceras" not in said_sv
    assert "lönebeskedet når ingen" in said_sv
