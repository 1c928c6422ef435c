"""SOD Send desktop client: Qt-free core services plus a thin PySide6 UI (sodclient.ui).

`__version__` is the one place the version is written: pyproject.toml, the installers and `--version`
read it from here.
"""

__version__ = "0.2.0"
