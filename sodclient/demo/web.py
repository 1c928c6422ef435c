"""The demo's download site: a small http.server on loopback serving the SFTP upload folder, the way a
hospital's web server publishes what its SFTP server receives. The link in the demo mail points here."""

from __future__ import annotations

import functools
import http.server
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("sodclient.demo")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def list_directory(self, path):  # a download site serves files, never an index of them
        self.send_error(404)
        return None

    def log_message(self, *args) -> None:  # request lines carry file names: not for the log
        pass


@dataclass
class DownloadSite:
    folder: Path
    host: str = "127.0.0.1"
    port: int = 0
    _httpd: http.server.ThreadingHTTPServer | None = field(default=None, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    @property
    def link_template(self) -> str:
        return f"http://{self.host}:{self.port}/{{name}}"

    def start(self) -> DownloadSite:
        handler = functools.partial(_QuietHandler, directory=str(self.folder))
        self._httpd = http.server.ThreadingHTTPServer((self.host, self.port), handler)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="demo-web", daemon=True)
        self._thread.start()
        log.info("demo download site listening on loopback")
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
            log.info("demo download site stopped")
