"""The API contract: msgspec Structs shared by the backend and the frontend.

This package imports nothing local, so the frontend can depend on it without
pulling in the backend.
"""
