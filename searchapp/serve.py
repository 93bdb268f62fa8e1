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
    def __init__(self, index_dir: Path | None, options: dict, engine: str | None = None, solr_url: str | None = None):
        self.index_dir = index_dir
        self.options = options
        self.engine = engine
        self.solr_url = solr_url
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from .web import create_app

        config = {"ENGINE": self.engine, "SOLR_URL": self.solr_url}
        if self.index_dir is not None:
            config["INDEX_DIR"] = str(self.index_dir)
        return create_app(config)


def run_server(index_dir: Path | None, host: str, port: int, workers: int, engine: str | None = None,
               solr_url: str | None = None) -> None:
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
    SearchappServer(index_dir, options, engine, solr_url).run()
