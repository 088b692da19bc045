"""Mounts every domain router under /api/v1. Each domain owns its routers; this file only lists them."""

from __future__ import annotations

from fastapi import APIRouter

from app.config import Settings


def api_router(settings: Settings) -> APIRouter:
    from app.audit.router import router as audit_router
    from app.auth.admin_router import router as auth_admin_router
    from app.auth.router import router as auth_router
    from app.dev.mail_router import router as dev_mail_router
    from app.dev.router import router as dev_router

    router = APIRouter(prefix="/api/v1")
    router.include_router(auth_router)
    router.include_router(auth_admin_router)
    router.include_router(audit_router)
    if settings.clock_is_adjustable:
        router.include_router(dev_router)
        router.include_router(dev_mail_router)
    return router
