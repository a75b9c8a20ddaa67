"""bench/run.py's machinery on a tiny generated database: every case measured next to its raw
query (which must find the same rows), and the table written. The benchmark itself is not run
here: it needs a large database and minutes."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from repaircenter.core.benchdata import generate

ROOT = Path(__file__).resolve().parents[3]


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def database_url() -> str:
    """The test database, for the raw driver."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = f"{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}"
    return f"postgres://{s['USER']}{password}@{host}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_every_case_is_measured_against_its_raw_query(settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.PORTAL_REQUESTS_PER_MINUTE = 1_000_000
    generate(60, log=lambda text: None)
    results = load("run").measure(database_url(), repetitions=2, sweep_repetitions=1)
    names = set(results["cases"])
    assert {"B1 search: phone", "B1 search: serial number", "B1 search: IMEI",
            "B1 search: order number", "B1 search: name", "B2 staff order page",
            "B3 customer's order page", "B5 deadline sweep"} <= names
    assert {f"B4 queue: {slug}" for slug in ("to-diagnose", "awaiting-decision", "in-repair",
                                              "ready", "disposal")} <= names
    for name, figures in results["cases"].items():
        assert figures["django"]["median_ms"] > 0 and figures["raw"]["median_ms"] > 0, name
        assert figures["queries"] >= 1, name
    assert results["cases"]["B1 search: order number"]["rows"] == 1
    assert results["cases"]["B2 staff order page"]["events"] >= 10
    assert results["load_targets"]["static"] == "/livez"

    text = load("report").tables({"targets": {"SQLite tiny": results}, "machine": "a test"})
    assert "| B2 staff order page |" in text
    assert "Machine: a test." in text


def test_help_explains_the_options():
    shown = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--help"],
                           capture_output=True, text=True, check=True).stdout
    for option in ("--target", "--repetitions", "--sweep-repetitions", "--load-seconds",
                   "--sms", "--results", "--markdown"):
        assert option in shown
