"""Kivra i Lön backend: the JSON API, persistence, the Kivra client and the delivery pipeline."""
