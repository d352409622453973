"""Invoices: customers, invoices with their documents, imports and sending via Kivra."""
