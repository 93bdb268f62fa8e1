"""Serving the Flask app with gunicorn.

Why gunicorn and not waitress: a search is CPU-bound Python, so threads in one process (waitress)
share one GIL and use one core. Gunicorn's pre-forked sync workers are separate processes, so
`--workers 2` uses both cores of our machines, and a worker stuck on a pathological query is
killed by gunicorn's timeout instead of blocking the others.
"""

from __future__ import annotations

from pathlib import Path

from gunicorn.app.base import BaseApplication


class SearchappServer(BaseApplication):
    def __init__(self, index_dir: Path, options: dict):
        self.index_dir = index_dir
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from .web import create_app

        return create_app({"INDEX_DIR": str(self.index_dir)})


def run_server(index_dir: Path, host: str, port: int, workers: int) -> None:
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync",
        "timeout": 30,
        "graceful_timeout": 10,
        # The largest request line gunicorn allows (default 4094): a 1000-character query of
        # Romanian letters is up to 6000 bytes once percent-encoded, and must reach the app.
        "limit_request_line": 8190,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "warning",
    }
    SearchappServer(index_dir, options).run()
