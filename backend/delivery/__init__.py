"""Delivery: routes each payslip of a final payroll run to Kivra or Min lön and sends it once."""
