"""What every benchmark shares: the machine, the processes, the data, the output.

- `machine()` describes where the numbers were taken (cores, CPU model, RAM,
  Python, SQLite and PostgreSQL versions, the load average).
- `ProcessWatch` samples the CPU seconds and peak memory of each process it
  is given (and their children), by role, from /proc through psutil.
- `Emulator` runs `kivra-lon emulator` as its own process with an added
  latency, the way Kivra sits across a network from the product.
- `bench_database` gives a fresh SQLite file or a fresh PostgreSQL database.
- `build_draft_run` makes a company with N employees and a draft run.
- `write_results` writes results/<name>.json, .md and .png.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from backend.agreements.models import KivraActivation
from backend.db.migrate import upgrade
from backend.db.session import create_db_engine, make_session_factory
from backend.kivra.identifiers import luhn_valid
from backend.payroll.models import Company, Employee, PayrollRun, Payslip

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
BIN = Path(sys.executable).parent
PERIOD = "2026-11"
PAY_DATE = date(2026, 11, 25)
ORGNR = "5599000113"
CLIENT_ID = "kivra-lon-bench"
CLIENT_SECRET = "bench-secret"  # noqa: S105 - the local emulator's credential
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
# Share of employees who are Kivra users; the rest read Min lön.
KIVRA_SHARE = 0.8
PR_SET_PDEATHSIG = 1


def say(line: str) -> None:
    """Print one progress line of a benchmark at once."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# --- the machine ---------------------------------------------------------------


def machine(database_url: str | None = None) -> dict[str, Any]:
    """Describe the machine and the load on it right now."""
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if database_url and database_url.startswith("postgresql"):
        engine = create_db_engine(database_url)
        with engine.connect() as conn:
            info["postgresql"] = conn.scalar(text("SHOW server_version"))
        engine.dispose()
    return info


# --- processes -------------------------------------------------------------------


@dataclass
class _Seen:
    role: str
    name: str
    cpu: float = 0.0
    peak_rss: int = 0


def _peak_rss(pid: int) -> int:
    """The process's peak resident memory (VmHWM) in bytes, 0 once it is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


class ProcessWatch:
    """Samples CPU seconds and peak memory of watched processes and children.

    Call `mark()` to start counting CPU from now; `report()` gives, per
    process, the CPU seconds used since the mark and the peak RSS it ever
    had. Children that start and end between samples (every 0.1 s) are
    missed; the render pool's workers live through a whole phase.
    """

    def __init__(self, interval: float = 0.1) -> None:
        self._roots: list[tuple[str, psutil.Process]] = []
        self._seen: dict[int, _Seen] = {}
        self._base: dict[int, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._interval = interval
        # The most the product's processes (all but the emulator) held at
        # once, in bytes, over the samples.
        self.peak_product_rss = 0
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def watch(self, role: str, pid: int) -> None:
        with self._lock:
            self._roots.append((role, psutil.Process(pid)))
        self.sample()

    def start(self) -> ProcessWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.sample()
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def sample(self) -> None:
        with self._lock:
            roots = list(self._roots)
        # The latest root is the most specific (an emulator or a worker is a
        # child of this process): its family is counted under its role.
        counted: set[int] = set()
        rss_now: dict[str, int] = {}
        for role, root in reversed(roots):
            with contextlib.suppress(psutil.Error):
                family = [root, *root.children(recursive=True)]
                for proc in family:
                    if proc.pid not in counted:
                        counted.add(proc.pid)
                        rss_now[role] = rss_now.get(role, 0) + self._sample_one(
                            role, proc
                        )
        product = sum(rss for role, rss in rss_now.items() if role != "emulator")
        with self._lock:
            self.peak_product_rss = max(self.peak_product_rss, product)

    def _sample_one(self, role: str, proc: psutil.Process) -> int:
        """Sample one process; return its resident memory now (0 if gone)."""
        with contextlib.suppress(psutil.Error):
            rss: int = proc.memory_info().rss
            times = proc.cpu_times()
            cpu = times.user + times.system
            peak = _peak_rss(proc.pid)
            with self._lock:
                seen = self._seen.get(proc.pid)
                if seen is None:
                    seen = self._seen[proc.pid] = _Seen(role, _short_name(proc))
                seen.role = role
                seen.cpu = max(seen.cpu, cpu)
                seen.peak_rss = max(seen.peak_rss, peak)
            return rss
        return 0

    def mark(self) -> None:
        """Count CPU (and memory held at once) from now on."""
        self.sample()
        with self._lock:
            self._base = {pid: seen.cpu for pid, seen in self._seen.items()}
            self.peak_product_rss = 0

    def report(self) -> list[dict[str, Any]]:
        self.sample()
        with self._lock:
            return [
                {
                    "pid": pid,
                    "role": seen.role,
                    "name": seen.name,
                    "cpu_seconds": round(seen.cpu - self._base.get(pid, 0.0), 3),
                    "peak_rss_mb": round(seen.peak_rss / 2**20, 1),
                }
                for pid, seen in sorted(self._seen.items())
            ]


def _short_name(proc: psutil.Process) -> str:
    with contextlib.suppress(psutil.Error):
        cmd = proc.cmdline()
        for word in cmd[1:]:
            if word in {"emulator", "worker"}:
                return f"kivra-lon {word}"
        if any("multiprocessing" in w or "forkserver" in w for w in cmd):
            return "render pool"
        if "-m" in cmd:
            return f"python -m {cmd[cmd.index('-m') + 1]}"
        return Path(cmd[0]).name
    return "?"


def die_with_parent() -> None:
    """In a child process: be sent SIGTERM when the benchmark's process dies.

    A benchmark killed mid-run (a timeout, Ctrl-C) would otherwise leave its
    emulator and workers running, and holding its output pipes open.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} stopped at start (exit {proc.returncode})")
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), timeout=0.2),
        ):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port}")


def product_env(**settings: object) -> dict[str, str]:
    """The environment of a product process: quiet logs plus `settings`."""
    env = dict(os.environ)
    env.update({"LOG_LEVEL": "WARNING", "LOG_FORMAT": "text"})
    env.update({key.upper(): str(value) for key, value in settings.items()})
    return env


class Emulator:
    """`kivra-lon emulator` in its own process, with `latency_ms` per answer."""

    def __init__(self, latency_ms: float, *, mode: str = "sandbox") -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        command = [str(BIN / "kivra-lon"), "emulator", "--port", str(self.port)]
        command += ["--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET]
        command += ["--mode", mode, "--latency-ms", str(latency_ms)]
        # The product's own command line, started from this virtualenv.
        self._proc = subprocess.Popen(  # noqa: S603
            command,
            env=product_env(),
            stdout=subprocess.DEVNULL,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - only prctl, no threads touched
        )
        _wait_for_port(self.port, self._proc, "the emulator")
        self.operator = httpx.Client(base_url=f"{self.base_url}/_emulator", timeout=120)

    @property
    def pid(self) -> int:
        return self._proc.pid

    def token(self) -> str:
        answer = httpx.post(
            f"{self.base_url}/v1/auth",
            data={"grant_type": "client_credentials"},
            auth=(CLIENT_ID, CLIENT_SECRET),
        )
        answer.raise_for_status()
        token: str = answer.json()["access_token"]
        return token

    def create_tenant(self, orgnr: str, name: str) -> str:
        answer = httpx.post(
            f"{self.base_url}/v2/tenant",
            json={
                "name": name,
                "company_id": [{"name": name, "orgnr": f"SE{orgnr}01"}],
            },
            headers={"authorization": f"Bearer {self.token()}"},
        )
        answer.raise_for_status()
        return answer.headers["kivra-objkey"]

    def seed_users(self, ssns: Sequence[str]) -> None:
        for ssn in ssns:
            self.operator.post(
                "/recipients", json={"id": ssn, "state": "active"}
            ).raise_for_status()

    def contents(self) -> list[dict[str, Any]]:
        answer = self.operator.get("/contents")
        answer.raise_for_status()
        items: list[dict[str, Any]] = answer.json()
        return items

    def close(self) -> None:
        self.operator.close()
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


@contextlib.contextmanager
def running_emulator(latency_ms: float, *, mode: str = "sandbox") -> Iterator[Emulator]:
    emulator = Emulator(latency_ms, mode=mode)
    try:
        yield emulator
    finally:
        emulator.close()


# --- the database --------------------------------------------------------------


@contextlib.contextmanager
def bench_database(kind: str) -> Iterator[str]:
    """A fresh, migrated database: a SQLite file, or a new PostgreSQL database."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="kivra-lon-bench-") as folder:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            upgrade(url)
            yield url
        return
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        POSTGRES_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def session_factory(url: str) -> sessionmaker[Session]:
    return make_session_factory(create_db_engine(url))


# --- the data ------------------------------------------------------------------


def fake_personnummer(n: int) -> str:
    """The `n`th fake personnummer (serial 98x), distinct for n below 150,000."""
    day = date.fromordinal(date(1960, 1, 1).toordinal() + n // 10 % 15000)
    stem = f"{day:%y%m%d}98{n % 10}"
    check = next(c for c in "0123456789" if luhn_valid(stem + c))
    return f"{day:%Y}{stem[2:]}{check}"


def kivra_users(count: int) -> list[str]:
    """The personnummer of the employees who are Kivra users (every fifth is not)."""
    return [fake_personnummer(n) for n in range(count) if n % 5 != 4]


def _lines(n: int, gross: Decimal) -> list[dict[str, str]]:
    overtime = Decimal(n % 7) * Decimal("312.00")
    lines = [
        {"kind": "earning", "code": "110", "description": "Månadslön",
         "quantity": "1", "unit": "mån", "unit_price": str(gross),
         "amount": str(gross)},
        {"kind": "earning", "code": "310", "description": "OB-tillägg kväll",
         "quantity": "12.5", "unit": "tim", "unit_price": "58.20",
         "amount": "727.50"},
        {"kind": "earning", "code": "320", "description": "Övertid enkel",
         "quantity": str(n % 7), "unit": "tim", "unit_price": "312.00",
         "amount": str(overtime)},
        {"kind": "benefit", "code": "510", "description": "Bilförmån",
         "quantity": "1", "unit": "mån", "unit_price": "3250.00",
         "amount": "3250.00"},
        {"kind": "deduction", "code": "610", "description": "Fackföreningsavgift",
         "amount": "-420.00"},
    ]  # fmt: skip
    return lines


def build_draft_run(factory: sessionmaker[Session], count: int, tenant_key: str) -> int:
    """A company with an active Kivra agreement, `count` employees, a draft run.

    Every payslip differs (pay and overtime vary), so no layer can serve a
    cached document. Returns the company id.
    """
    with factory() as session, session.begin():
        company = Company(
            name="Benchbolaget AB", orgnr=ORGNR, street_address="Benchgatan 1",
            postal_code="111 22", city="Stockholm",
            email="lon@benchbolaget.example", phone="08-123 456 78",
        )  # fmt: skip
        session.add(company)
        session.flush()
        session.add(
            KivraActivation(
                company_id=company.id, state="active", terms_version="1",
                scopes=["payslips"], entry_point="onboarding",
                tenant_state="active", tenant_key=tenant_key,
            )
        )  # fmt: skip
        run = PayrollRun(company_id=company.id, period=PERIOD, pay_date=PAY_DATE)
        session.add(run)
        session.flush()
        session.execute(
            insert(Employee),
            [
                {
                    "company_id": company.id,
                    "personnummer": fake_personnummer(n),
                    "first_name": f"Person{n}",
                    "last_name": "Benchsson",
                    "email": f"person{n}@benchbolaget.example",
                    "employment_start": date(2020, 1, 1),
                    "min_lon_enrolled": True,
                }
                for n in range(count)
            ],
        )
        employee_ids = session.scalars(
            select(Employee.id)
            .where(Employee.company_id == company.id)
            .order_by(Employee.id)
        ).all()
        rows = []
        for n, employee_id in enumerate(employee_ids):
            gross = Decimal(28000 + (n * 37) % 20000)
            lines = _lines(n, gross)
            total = sum(Decimal(line["amount"]) for line in lines[:3])
            tax = (total * Decimal("0.3")).quantize(Decimal("1"))
            rows.append(
                {
                    "payroll_run_id": run.id, "employee_id": employee_id,
                    "lines": lines, "gross_pay": total, "preliminary_tax": tax,
                    "net_pay": total - tax - Decimal("420.00"),
                    "ytd_gross": total * 10, "ytd_tax": tax * 10,
                    "vacation_days_paid": Decimal(n % 3),
                    "vacation_days_remaining": Decimal(25 - n % 3),
                    "validation_errors": [],
                }
            )  # fmt: skip
        session.execute(insert(Payslip), rows)
        return company.id


# --- numbers and output ----------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """The `share` percentile (0-1) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class Output:
    """One benchmark's results: the JSON data, Markdown lines and a chart."""

    name: str
    data: dict[str, Any]
    markdown: list[str] = field(default_factory=list)
    chart: Callable[[Any], None] | None = None


def write_results(output: Output, folder: Path = RESULTS) -> dict[str, Path]:
    """Write <name>.json, <name>.md and <name>.png into `folder`."""
    import matplotlib  # noqa: PLC0415 - only the writing step needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": folder / f"{output.name}.json",
        "md": folder / f"{output.name}.md",
        "png": folder / f"{output.name}.png",
    }
    paths["json"].write_text(json.dumps(output.data, indent=2, default=str) + "\n")
    paths["md"].write_text("\n".join(output.markdown) + "\n")
    figure = plt.figure(figsize=(9, 4.5))
    if output.chart is not None:
        output.chart(figure)
    figure.tight_layout()
    figure.savefig(paths["png"], dpi=100)
    plt.close(figure)
    return paths


def publish(output: Output, folder: Path) -> None:
    """Write the results into `folder`; print them, and where they went."""
    paths = write_results(output, folder)
    say("\n".join(output.markdown))
    say(f"written: {', '.join(str(p) for p in paths.values())}")


def process_table(processes: list[dict[str, Any]], seconds_per: int) -> list[str]:
    """Markdown rows: each process's role, CPU seconds (per payslip) and peak RSS."""
    rows = [
        "| process | role | CPU s | CPU ms per payslip | peak RSS MB |",
        "|---|---|---:|---:|---:|",
    ]
    for proc in processes:
        per = proc["cpu_seconds"] / seconds_per * 1000 if seconds_per else 0.0
        rows.append(
            f"| {proc['name']} ({proc['pid']}) | {proc['role']} | "
            f"{proc['cpu_seconds']:.2f} | {per:.2f} | {proc['peak_rss_mb']:.0f} |"
        )
    return rows
