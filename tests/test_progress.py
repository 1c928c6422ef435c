"""One cancel token with linked children: the user's cancel reaches every stage; a stage can stop its
siblings without it looking like the user's cancel."""

import threading

from sodclient.progress import CancelToken
from sodformat.threads import is_cancelled


def test_parent_cancel_reaches_children_and_grandchildren():
    user = CancelToken()
    stage = user.child()
    inner = stage.child()
    assert not is_cancelled(inner)
    user.cancel()
    assert stage.cancelled and inner.cancelled and is_cancelled(inner)


def test_child_cancel_does_not_reach_the_parent():
    user = CancelToken()
    stage = user.child()
    stage.cancel()
    assert stage.cancelled and not user.cancelled


def test_child_of_a_cancelled_token_starts_cancelled():
    user = CancelToken()
    user.cancel()
    assert user.child().cancelled


def test_waiters_wake_on_cancel():
    user = CancelToken()
    stage = user.child()
    woke = threading.Event()
    threading.Thread(target=lambda: stage.wait(30) and woke.set(), daemon=True).start()
    user.cancel()
    assert woke.wait(5)
