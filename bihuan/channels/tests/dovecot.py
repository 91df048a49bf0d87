"""A real IMAP server for tests and benchmarks: Debian's dovecot on a spare loopback port.

``running_dovecot()`` starts one with its configuration, users and mail in a temporary folder
and stops it afterwards; the system's own dovecot service is never touched.
"""

from __future__ import annotations

import contextlib
import imaplib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
ACCOUNTS = 40


class DovecotMissing(RuntimeError):
    """dovecot is not installed or did not start."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Dovecot:
    """A running dovecot: create accounts, deliver messages into them (IMAP APPEND)."""

    port: int
    root: Path
    host: str = "127.0.0.1"
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def add_account(self) -> str:
        """A new, empty account; its password is ``secret``.

        The accounts exist from the start: dovecot re-reads its users file only when the
        file's modification time (in whole seconds) changes.
        """
        number = next(self._numbers)
        assert number <= ACCOUNTS, "raise ACCOUNTS in bihuan/channels/tests/conftest.py"
        return f"box{number}"

    def connect(self, user: str) -> imaplib.IMAP4:
        connection = imaplib.IMAP4(self.host, self.port, timeout=30)
        connection.login(user, "secret")
        return connection

    def deliver(self, user: str, messages: list[bytes]) -> None:
        connection = self.connect(user)
        try:
            for raw in messages:
                answer = connection.append("INBOX", "", "", raw)
                assert answer[0] == "OK", answer
        finally:
            connection.logout()

    def drop(self, user: str, messages: list[bytes]) -> None:
        """Deliver many messages at once, as a local delivery agent would: files in the
        account's Maildir ``new/`` folder (dovecot assigns their UIDs in this order)."""
        maildir = self.root / "mail" / user
        for folder in ("cur", "new", "tmp"):
            (maildir / folder).mkdir(parents=True, exist_ok=True)
        stamp = int(time.time())
        for number, raw in enumerate(messages):
            path = maildir / "new" / f"{stamp}.M{number:06d}P{os.getpid()}.bihuan-test"
            path.write_bytes(raw)
        owner = (self.root / "mail").stat()
        for path in [maildir, *maildir.rglob("*")]:
            os.chown(path, owner.st_uid, owner.st_gid)


def _config(root: Path, port: int) -> str:
    if os.getuid() == 0:
        # Dovecot never gives mail access to root: the mail belongs to nobody.
        mail_uid, mail_gid = 65534, 65534
        users = ""
    else:
        mail_uid, mail_gid = os.getuid(), os.getgid()
        me = pwd.getpwuid(os.getuid()).pw_name
        users = f"default_internal_user = {me}\ndefault_login_user = {me}\n"
    (root / "mail").mkdir()
    os.chown(root / "mail", mail_uid, mail_gid)
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = bihuan-test-{os.getpid()}
{users}protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
auth_failure_delay = 0
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


@contextlib.contextmanager
def running_dovecot() -> Iterator[Dovecot]:
    if not Path(DOVECOT).exists():
        raise DovecotMissing("dovecot is not installed: run `make system-packages` (dovecot-imapd)")
    # Not under pytest's tmp_path: its folders are private (0700), and dovecot's unprivileged
    # auth and mail processes must reach the users file and the mail folder.
    root = Path(tempfile.mkdtemp(prefix="bihuan-dovecot-"))
    root.chmod(0o755)
    port = free_port()
    (root / "users").write_text(
        "".join(f"box{n}:{{PLAIN}}secret::::::\n" for n in range(1, ACCOUNTS + 1))
    )
    (root / "dovecot.conf").write_text(_config(root, port))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log_file = root / "dovecot.log"
                    log = log_file.read_text() if log_file.exists() else ""
                    raise DovecotMissing(f"dovecot did not start: {log[-2000:]}") from None
                time.sleep(0.1)
        yield Dovecot(port=port, root=root)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)
