#!/usr/bin/env python
"""The ``bihuan`` command: every management command, as manage.py runs them.

``bihuan migrate``, ``bihuan createsuperuser``, ``bihuan serve``, ``bihuan demo``,
``bihuan token create USERNAME``…
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bihuan.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
