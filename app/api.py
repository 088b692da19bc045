"""Mounts every domain router under /api/v1. Each domain owns its routers; this file only lists them."""

from __future__ import annotations

from fastapi import APIRouter

from app.config import Settings


def api_router(settings: Settings) -> APIRouter:
    from app.audit.router import router as audit_router
    from app.auth.admin_router import router as auth_admin_router
    from app.auth.router import router as auth_router
    from app.content.admin_router import admin as content_admin_router
    from app.dev.mail_router import router as dev_mail_router
    from app.dev.router import router as dev_router
    from app.entitlements.router import router as entitlements_router
    from app.events.admin_router import router as events_admin_router
    from app.events.router import router as events_router
    from app.media.admin_router import router as media_admin_router
    from app.media.router import router as media_router
    from app.progress.admin_router import router as progress_admin_router

    router = APIRouter(prefix="/api/v1")
    # The hottest member paths are mounted ahead of this router, at the top level (`hot_router`).
    router.include_router(auth_router)
    router.include_router(auth_admin_router)
    router.include_router(audit_router)
    router.include_router(content_admin_router)
    router.include_router(progress_admin_router)
    router.include_router(entitlements_router)
    router.include_router(events_router)
    router.include_router(events_admin_router)
    router.include_router(media_router)
    router.include_router(media_admin_router)
    if settings.clock_is_adjustable:
        router.include_router(dev_router)
        router.include_router(dev_mail_router)
    return router


def hot_router() -> APIRouter:
    """The hottest member paths (catalog, lesson page, progress), mounted on the application itself
    ahead of everything else: FastAPI matches included routers level by level and route by
    route, which was a fifth of a lesson page's CPU time (bench/)."""
    from app.content.router import catalog
    from app.progress.router import router as progress

    router = APIRouter(prefix="/api/v1")
    router.include_router(catalog)
    router.include_router(progress)
    return router
