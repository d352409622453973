"""The agreement's terms, versioned, in Swedish and English.

A new version gets a new constant and becomes `CURRENT`; approvals record the
version they approved, so older versions stay in `ALL_TERMS` for the history.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Terms:
    version: str
    title_sv: str
    title_en: str
    text_sv: str
    text_en: str


TERMS_2026_1 = Terms(
    version="2026-1",
    title_sv="Avtal om Kivra i Lön",
    title_en="Agreement on Kivra i Lön",
    text_sv=(
        "1. Tjänsten. Kivra i Lön skickar arbetsgivarens lönebesked, och om "
        "arbetsgivaren väljer det även fakturor, till mottagarens brevlåda hos "
        "Kivra. Anställda som inte har Kivra får lönebeskedet i appen Min lön.\n"
        "2. Kivras villkor. Genom att godkänna detta avtal godkänner "
        "arbetsgivaren även Kivras allmänna villkor för avsändare. Kivra i Lön "
        "skapar eller ansluter arbetsgivarens avsändarkonto (tenant) hos Kivra "
        "i arbetsgivarens namn.\n"
        "3. Personuppgiftsbiträdesavtal. Arbetsgivaren är "
        "personuppgiftsansvarig för lönebeskeden. Kivra i Lön och Kivra "
        "behandlar personnummer, namn och lönebesked som personuppgiftsbiträden "
        "enbart för att leverera dem, enligt arbetsgivarens instruktioner, inom "
        "EU/EES och med lämpliga tekniska och organisatoriska skyddsåtgärder. "
        "Underbiträden anges på begäran.\n"
        "4. Omfattning. Administratören väljer lönebesked, fakturor eller "
        "båda, och kan ändra valet när som helst.\n"
        "5. Upphörande. Administratören kan avsluta användningen av Kivra. "
        "Därefter skickas inget mer till Kivra; redan levererade dokument och "
        "historiken finns kvar."
    ),
    text_en=(
        "1. The service. Kivra i Lön sends the employer's payslips, and if the "
        "employer chooses so also invoices, to the recipient's Kivra mailbox. "
        "Employees who do not use Kivra get the payslip in the Min lön app.\n"
        "2. Kivra's terms. By approving this agreement the employer also "
        "accepts Kivra's general terms for senders. Kivra i Lön creates or "
        "joins the employer's sender account (tenant) at Kivra in the "
        "employer's name.\n"
        "3. Data processing agreement. The employer is the controller of the "
        "payslips. Kivra i Lön and Kivra process personal identity numbers, "
        "names and payslips as processors solely to deliver them, on the "
        "employer's instructions, within the EU/EEA and with appropriate "
        "technical and organisational safeguards. Sub-processors are listed "
        "on request.\n"
        "4. Scope. The administrator chooses payslips, invoices or both, and "
        "can change the choice at any time.\n"
        "5. Termination. The administrator can end the use of Kivra. After "
        "that nothing more is sent to Kivra; documents already delivered and "
        "the history remain."
    ),
)

CURRENT = TERMS_2026_1
ALL_TERMS = {TERMS_2026_1.version: TERMS_2026_1}
