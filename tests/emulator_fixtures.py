"""Fixtures that run the Kivra emulator over real HTTP on 127.0.0.1."""
