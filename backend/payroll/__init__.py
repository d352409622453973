"""Payroll core: companies, employees, payroll runs, payslips and their documents."""
