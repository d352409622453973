"""Demo data: companies, users, employees, last month's payroll and Kivra users.

Everything lives as files in `backend/demo/data/`, in the formats users
import (PAXml and CSV registers, CSV and JSON payroll runs, the old web
product's VLA export). `kivra-lon demo` seeds them through the same import
code, so the demo exercises the product's real paths. See `seed.py` and
`data/README.md`.
"""
