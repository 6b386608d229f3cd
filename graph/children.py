"""Child processes: how many may run at once, and that they die with the process that
started them.

A writer killed with SIGKILL runs no cleanup: a child that outlived it would go on writing
into a draft the next writer is removing, and a forked child would keep the writer's lock
(flock belongs to the open file, which fork shares) so that the next writer finds the KG busy.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


prctl = _prctl()


def usable_cpus() -> int:
    """CPUs this process may run on (a container or taskset may allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def die_with_parent(parent_pid: int | None = None) -> bool:
    """Ask the kernel to SIGKILL this process when the thread that started it ends (Linux).

    Returns False where that is not possible. With `parent_pid`, a parent that died before
    the request took effect ends this process at once.
    """
    if prctl is None:
        return False
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(0)
    return True
