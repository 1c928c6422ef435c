"""SOD Send desktop client: Qt-free core services plus a thin PySide6 UI (sodclient.ui)."""

__version__ = "0.1.0"
