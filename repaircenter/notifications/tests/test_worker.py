import logging

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_worker_once_runs_one_round_and_logs_start_and_stop(caplog):
    with caplog.at_level(logging.INFO, logger="repaircenter.worker"):
        call_command("worker", "--once")
    lines = [record.getMessage() for record in caplog.records]
    assert lines[0].startswith("worker: started")
    assert lines[-1] == "worker: stopped"

