"""Helpers for the real-browser tests: serve the app (`python -m dashboard.serve`) and drive
Debian's chromium.

The server is waited for the way Streamlit's own e2e tests do it: poll /_stcore/health every
0.1 s up to a deadline, and show the server's stderr if it died on the way.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_DEADLINE = 90.0  # seconds; a first start imports pandas, plotly and streamlit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerDied(RuntimeError):
    pass


@contextmanager
def streamlit_server(
    db: Path,
    log_dir: Path,
    port: int | None = None,
    *,
    extra: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
):
    """Run the dashboard (`python -m dashboard.serve`, as `make run` does) on a free port
    against db; yield its base URL. extra: more Streamlit options; env: more variables."""
    port = port or free_port()
    env = {**os.environ, **(env or {}), "CHIPWATCH_DB": str(db), "PYTHONUNBUFFERED": "1"}
    log_dir.mkdir(parents=True, exist_ok=True)
    out = (log_dir / "streamlit.out").open("wb")
    err_path = log_dir / "streamlit.err"
    err = err_path.open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dashboard.serve",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
            "--server.runOnSave",
            "false",
            "--client.toolbarMode",
            "minimal",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=err,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_DEADLINE
        while True:
            if proc.poll() is not None:
                raise ServerDied(
                    f"streamlit exited with {proc.returncode}:\n"
                    + err_path.read_text(errors="replace")[-4000:]
                )
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ServerDied(
                    "streamlit did not become healthy:\n"
                    + err_path.read_text(errors="replace")[-4000:]
                )
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()
        err.close()


def wait_for_app(page, timeout_ms: int = 60_000) -> None:
    """Wait until the app has rendered: the page title is drawn, the script run has finished
    (the state Streamlit writes on its root element), no element is still a loading skeleton,
    and every chart has drawn its SVG."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=timeout_ms)
    page.wait_for_function(
        """() => {
            const q = (s) => document.querySelectorAll(s);
            // The app's own run state: "initial" before the first run, then "running".
            const app = document.querySelector("[data-testid='stApp']");
            if (app.getAttribute("data-test-script-state") !== "notRunning") return false;
            if (q("[data-testid='stStatusWidget'] [data-testid='stStatusWidgetRunningIcon']").length
                || q("[data-testid='stSkeleton']").length) return false;
            return [...q("[data-testid='stPlotlyChart']")].every(
                (c) => c.querySelector(".main-svg"));
        }""",
        timeout=timeout_ms,
    )
