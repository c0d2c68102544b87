"""Gunicorn settings of the bare floor (bench/run.py): the app's (gunicorn.conf.py) without the
access log, whose JSON line per request is server work, not the endpoint's. Workers, threads
and the bind address come from bench/run.py's command line, the same as the app's."""

preload_app = True
worker_tmp_dir = "/dev/shm"  # noqa: S108 (heartbeat files, as gunicorn.conf.py)
control_socket_disable = True
accesslog = None
