"""Bulk send: a final run of N employees through the real pipeline.

About 80% of the employees are Kivra users; the rest go to Min lön. The
emulator runs as its own process (`kivra-lon emulator --latency-ms 50`), the
product on a fresh SQLite file (or PostgreSQL with `--database postgresql`),
with its worker(s) as `kivra-lon worker` processes. Measured: wall time per
phase, payslips per second, CPU seconds per payslip and peak memory of every
process, and how long each payslip took from "send" to its outcome. In the
same run: the sequential baseline (one payslip at a time, a fresh
connection each; for a large N measured on a sample and extrapolated) and
the CPU-bound ceiling (rendering and encoding alone on every core).

    .venv/bin/python -m bench.bulk_send --employees 10000
"""

# The measuring code lives in `bench.bulk_send_run`: a render pool's processes
# import the program's main module, and this one stays light so that they
# weigh what they would under the API server.


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and write bench/results/<name>.{json,md,png}."""
    from bench.bulk_send_run import main as run  # noqa: PLC0415 - see above

    run(argv)


if __name__ == "__main__":
    main()
