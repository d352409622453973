"""Where the time goes: the bulk send's processes sampled by py-spy.

Runs the same pipeline as `bench.bulk_send` (no baseline) with py-spy
attached to every process: this one (finalise and send, with its render
pool), the worker(s) and the emulator. Each sample is put in one bucket by
the innermost frame that names a part:

- rendering: the payslip documents (PDF, HTML, salary slip) and reportlab;
- encoding: the Kivra body (content checks, schema validation, JSON,
  base64, SHA-256);
- database: SQLAlchemy and the database drivers;
- network: httpx, httpcore and the event loop's socket work;
- other: the rest (routing, planning, logging, the interpreter's glue).

Those are busy seconds (samples of running threads / rate). Network wait is
the worker's event loop idle in `select` while requests are out: a second
py-spy per worker samples idle threads too, and counts those. The
benchmark's own measuring threads are left out.

    .venv/bin/python -m bench.profile --employees 10000
"""

# The measuring code lives in `bench.profile_run`: a render pool's processes
# import the program's main module, and this one stays light so that they
# weigh what they would under the API server.


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and write bench/results/<name>.{json,md,png}."""
    from bench.profile_run import main as run  # noqa: PLC0415 - see above

    run(argv)


if __name__ == "__main__":
    main()
