"""A local stand-in for Kivra's sender API, with an operator API for tests.

`create_emulator_app()` builds the ASGI app; `kivra-lon emulator` serves it.
Kivra's paths live where Kivra has them; everything under `/_emulator/` is
the operator's (seeding, inspection, faults, mode, clock, reset). See
docs/emulator.md.
"""

from backend.kivra_emulator.app import create_emulator_app
from backend.kivra_emulator.state import EmulatorState, FaultKind, Mode, RecipientState

__all__ = [
    "EmulatorState",
    "FaultKind",
    "Mode",
    "RecipientState",
    "create_emulator_app",
]
