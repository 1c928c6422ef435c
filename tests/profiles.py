"""The test's profile, as the command line would pick it (SODCLIENT_HOME is set per test by conftest)."""

from __future__ import annotations

from sodclient.profile import Profile


def current() -> Profile:
    return Profile.from_environment()
