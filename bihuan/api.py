"""The REST API under /api/v1/: one NinjaAPI, one router per domain, one error mapping."""

from __future__ import annotations

from ninja import NinjaAPI

from bihuan.accounts.api import router as agents_router
from bihuan.accounts.api_auth import SessionAuth, TokenAuth
from bihuan.automation.api import router as automation_router
from bihuan.core.api_errors import describe_error_codes, install_error_handlers
from bihuan.customers.api import router as customers_router
from bihuan.feedback.api import router as feedback_router
from bihuan.knowledge.api import router as knowledge_router
from bihuan.portal.api import router as portal_router
from bihuan.sla.api import router as sla_router
from bihuan.tickets.api import router as tickets_router

api = NinjaAPI(
    title="Bihuan API",
    version="1",
    description="Tickets, messages and customers of Bihuan (闭环). "
    "Authenticate with `Authorization: Bearer <token>` (create tokens in the UI or with "
    "`bihuan token create USERNAME`).\n\n" + describe_error_codes(),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
)
install_error_handlers(api)
api.add_router("", tickets_router)
api.add_router("", customers_router)
api.add_router("", agents_router)
api.add_router("", knowledge_router)
api.add_router("", sla_router)
api.add_router("", automation_router)
api.add_router("", feedback_router)
api.add_router("", portal_router)
