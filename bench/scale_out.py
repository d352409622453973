"""Scale-out: one worker process against two, on PostgreSQL.

The same run (N employees, about 80% Kivra users) is sent twice, each time
on a fresh PostgreSQL database and a fresh emulator in sandbox mode (no
duplicate control, so a payslip sent twice would show as two contents):
once with one `kivra-lon worker` process, once with two sharing the outbox
through `FOR UPDATE SKIP LOCKED`. Reported: the throughput of the delivery
phase (what the workers do) and of the whole pipeline, their ratio, and the
emulator's own record checked for duplicates: every Kivra user has exactly
one content, and its SHA-256 is the body the product froze for them.

    .venv/bin/python -m bench.scale_out --employees 10000
"""

# The measuring code lives in `bench.scale_out_run`: a render pool's processes
# import the program's main module, and this one stays light so that they
# weigh what they would under the API server.


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and write bench/results/<name>.{json,md,png}."""
    from bench.scale_out_run import main as run  # noqa: PLC0415 - see above

    run(argv)


if __name__ == "__main__":
    main()
