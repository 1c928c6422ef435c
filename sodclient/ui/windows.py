"""Commands that open windows (`sodclient demo`, `sodclient --self-test`): the command line parses them,
then hands over here, so Qt is still imported only once the command is known."""

from __future__ import annotations


def run_window_command(name: str, debug: bool = False) -> int:
    if name == "demo":
        from sodclient.ui.demo_window import run_demo

        return run_demo(debug=debug)
    if name == "self-test":
        from sodclient.ui.self_test import run_self_test

        return run_self_test()
    raise ValueError(f"no window command {name!r}")
