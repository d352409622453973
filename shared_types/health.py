"""Health check contract."""

from shared_types.base import ApiStruct


class Health(ApiStruct):
    status: str
    database: str
    version: str
