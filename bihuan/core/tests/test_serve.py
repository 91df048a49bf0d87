"""``bihuan serve`` binds its port before its embedded runner claims any work."""

from __future__ import annotations

import socket

import pytest
from django.core.management import call_command

from bihuan.core.management.commands import serve


def test_a_second_serve_on_a_port_in_use_exits_before_its_runner_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[float] = []
    monkeypatch.setattr(
        serve, "start_embedded_runner", lambda *, sweep_seconds: started.append(sweep_seconds)
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(SystemExit) as exit_:
            call_command("serve", "--port", str(port), "--runner")

    assert exit_.value.code == 3
    assert started == []
