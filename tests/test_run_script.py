"""`scripts/run.sh` (the README's "run the back office") starts the web server and the task
worker together, and stopping it stops both: run for real on a SQLite file in a temp folder."""

import json
import os
import signal
import subprocess
import time
import urllib.request

from ektor.testing import ROOT, clean_env, free_port, run_manage


def session_processes(sid: int) -> list[str]:
    ps = subprocess.run(["ps", "-eo", "sid=,args="], capture_output=True, text=True, check=True)
    return [
        line.split(None, 1)[1] for line in ps.stdout.splitlines() if int(line.split()[0]) == sid
    ]


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_run_serves_web_and_worker_and_ctrl_c_stops_both(tmp_path):
    port = free_port()
    env = clean_env(
        ENV_FILE=str(tmp_path / ".env"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        RUN_ADDR=str(port),
    )
    log = (tmp_path / "run.log").open("wb")
    # The script starts as from a terminal, where Ctrl-C is not ignored: a test run started as a
    # shell's background job ignores SIGINT, its children inherit that, and bash cannot trap a
    # signal ignored when it started. (A Python handler, unlike an ignored signal, is not
    # inherited: the script gets the default.)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        script = subprocess.Popen(
            [str(ROOT / "scripts" / "run.sh")],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    try:

        def healthy() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        wait_until(healthy, 120, "the web server")
        shell = {k: env[k] for k in ("ENV_FILE", "DATABASE_URL")}
        queued = run_manage(
            "shell",
            "-c",
            "from ektor.tests.tasks import add; print(add.enqueue(20, 22).id)",
            **shell,
        )
        assert queued.returncode == 0, queued.stderr
        task_id = queued.stdout.strip().splitlines()[-1]

        def result():
            read = run_manage(
                "shell",
                "-c",
                "import json; from django_tasks_db.models import DBTaskResult as R; "
                f"r = R.objects.get(pk='{task_id}'); print(json.dumps([r.status, r.return_value]))",
                **shell,
            )
            return json.loads(read.stdout.strip().splitlines()[-1]) == ["SUCCESSFUL", 42]

        wait_until(result, 60, "the worker to run the task")
        running = session_processes(script.pid)
        assert any("manage.py db_worker" in p for p in running), running
        assert any("manage.py runserver" in p for p in running), running
    finally:
        # What Ctrl-C at the terminal sends the script.
        os.kill(script.pid, signal.SIGINT)
        script.wait(timeout=30)
        log.close()
    wait_until(lambda: not session_processes(script.pid), 20, "the web server and worker to stop")
