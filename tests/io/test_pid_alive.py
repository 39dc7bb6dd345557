"""`pid_alive` decides whether a temporary file or folder belongs to a dead writer: a killed writer whose parent
has not reaped it yet (a zombie) is dead, so the next run cleans its leftovers."""

import os
import subprocess
import sys
import time

from roadtrack.io.atomic import pid_alive


def test_running_zombie_and_gone():
    assert pid_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert pid_alive(child.pid)
        child.kill()
        time.sleep(0.3)  # exited, not yet waited for: a zombie on Linux
        assert not pid_alive(child.pid)
    finally:
        child.wait()
    assert not pid_alive(child.pid)
