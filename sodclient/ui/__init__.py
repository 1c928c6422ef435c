"""The PySide6 desktop app. Everything Qt lives here; it stays a thin layer over the Qt-free core."""
