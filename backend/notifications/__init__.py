"""The notification centre: per-user notices of events in the product."""
