"""An HTTP client that sends real requests through the ASGI application (httpx transport).

Requests are served in asgiref's worker thread with its own database connection, so tests
using it need ``transactional_db`` (committed data).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import httpx


class AsgiClient:
    def __init__(self, token: str | None = None) -> None:
        self.token = token

    def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        from bihuan.asgi import application

        all_headers = dict(headers or {})
        if self.token is not None and "Authorization" not in all_headers:
            all_headers["Authorization"] = f"Bearer {self.token}"

        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=cast(Any, application))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                return await c.request(method, path, headers=all_headers, **kwargs)

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(send())
        # A loop already runs in this thread (Playwright's sync API keeps one for the session
        # once a browser test ran on this worker): run the request's own loop in another thread.
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, send()).result()

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)
