"""Background processes of the local stack: liveness, stopping, pid files."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers signal 0: reap it if it is ours.
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return _not_zombie(pid)
    return finished == 0


def _not_zombie(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def terminate_process_group(pid: int, timeout: float) -> None:
    """SIGTERM the process group led by pid, then SIGKILL it after timeout."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process_alive(pid):
            return
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    while process_alive(pid):
        time.sleep(0.1)


class PidFile:
    """A background process known by the pid written in a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, pid: int) -> None:
        """Remember the process."""
        self.path.write_text(str(pid))

    def running_pid(self) -> int | None:
        """The pid if its process is alive."""
        try:
            pid = int(self.path.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if process_alive(pid) else None

    def stop(self, timeout: float) -> bool:
        """SIGTERM the process group, SIGKILL after timeout; False if it was not running."""
        pid = self.running_pid()
        if pid is not None:
            terminate_process_group(pid, timeout)
        self.path.unlink(missing_ok=True)
        return pid is not None


def wait_until_ready(
    process: subprocess.Popen[bytes],
    pid_file: PidFile,
    ready: Callable[[], bool],
    timeout: float,
    what: str,
) -> float:
    """Poll `ready` until it holds; return the seconds it took.

    Raises RuntimeError naming `what` if the process exits first or the time runs out
    (the process is then stopped).
    """
    begin = time.monotonic()
    while time.monotonic() - begin < timeout:
        if process.poll() is not None:
            pid_file.path.unlink(missing_ok=True)
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        if ready():
            return time.monotonic() - begin
        time.sleep(0.2)
    pid_file.stop(timeout=30.0)
    raise RuntimeError(f"{what} was not ready after {timeout:.0f}s")
