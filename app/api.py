"""Mounts every domain router under /api/v1. Each domain owns its routers; this file only lists them."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from app.config import Settings


def api_router(settings: Settings) -> APIRouter:
    from app.audit.router import router as audit_router
    from app.auth.admin_router import router as auth_admin_router
    from app.auth.router import router as auth_router
    from app.content.admin_router import admin as content_admin_router
    from app.dev.mail_router import router as dev_mail_router
    from app.dev.router import router as dev_router
    from app.enrollments.admin_router import router as enrollments_admin_router
    from app.enrollments.router import router as enrollments_router
    from app.enrollments.thresholds import router as thresholds_router
    from app.entitlements.router import router as entitlements_router
    from app.events.admin_router import router as events_admin_router
    from app.events.router import router as events_router
    from app.media.admin_router import router as media_admin_router
    from app.media.router import router as media_router
    from app.payments.orders.router import router as orders_router
    from app.payments.points.router import router as points_router
    from app.payments.products.router import router as products_router
    from app.payments.purchases.router import router as purchases_router
    from app.payments.refunds.router import router as refunds_router
    from app.payments.subscriptions.router import router as subscriptions_router
    from app.progress.admin_router import router as progress_admin_router
    from app.questions.admin_router import router as questions_admin_router
    from app.questions.router import router as questions_router
    from app.reports.admin_router import router as reports_admin_router
    from app.reports.grader_router import router as reports_grader_router
    from app.reports.router import router as reports_router

    router = APIRouter(prefix=API_PREFIX)
    # The hottest member paths are mounted ahead of this router, at the top level
    # (`mount_hot_routes`).
    router.include_router(auth_router)
    router.include_router(auth_admin_router)
    router.include_router(audit_router)
    router.include_router(content_admin_router)
    router.include_router(progress_admin_router)
    router.include_router(entitlements_router)
    router.include_router(enrollments_router)
    router.include_router(enrollments_admin_router)
    router.include_router(thresholds_router)
    router.include_router(events_router)
    router.include_router(events_admin_router)
    router.include_router(media_router)
    router.include_router(media_admin_router)
    router.include_router(subscriptions_router)
    router.include_router(orders_router)
    router.include_router(products_router)
    router.include_router(purchases_router)
    router.include_router(refunds_router)
    router.include_router(points_router)
    router.include_router(reports_router)
    router.include_router(reports_grader_router)
    router.include_router(reports_admin_router)
    router.include_router(questions_router)
    router.include_router(questions_admin_router)
    if settings.clock_is_adjustable:
        router.include_router(dev_router)
        router.include_router(dev_mail_router)
    return router


API_PREFIX = "/api/v1"


def mount_hot_routes(app: FastAPI) -> None:
    """The hottest paths (catalog, lesson page, progress, the payment webhook) as routes of the application
    itself, ahead of everything else. FastAPI matches an included router by matching its routes
    once to choose it and again to dispatch, level by level; for a lesson page that was a fifth
    of its CPU time (bench/). Routes of the application's own router are matched once, directly.
    Each route is re-declared with every option it was declared with, so its behaviour and its
    OpenAPI operation are those of its router's route."""
    from app.content.router import catalog
    from app.payments.webhook.router import router as payment_webhook
    from app.progress.router import router as progress

    # The provider's notifications are a hot path too: a renewal day sends thousands at once.
    for router in (catalog, progress, payment_webhook):
        for route in router.routes:
            if not isinstance(route, APIRoute):
                raise TypeError(f"hot routers hold API routes only, not {route!r}")
            app.router.add_api_route(
                API_PREFIX + route.path,
                route.endpoint,
                route_class_override=type(route),
                response_model=route.response_model,
                status_code=route.status_code,
                tags=list(route.tags),
                dependencies=list(route.dependencies),
                summary=route.summary,
                description=route.description,
                response_description=route.response_description,
                responses=dict(route.responses),
                deprecated=route.deprecated,
                methods=set(route.methods or ()),
                operation_id=route.operation_id,
                response_model_include=route.response_model_include,
                response_model_exclude=route.response_model_exclude,
                response_model_by_alias=route.response_model_by_alias,
                response_model_exclude_unset=route.response_model_exclude_unset,
                response_model_exclude_defaults=route.response_model_exclude_defaults,
                response_model_exclude_none=route.response_model_exclude_none,
                include_in_schema=route.include_in_schema,
                response_class=route.response_class,
                name=route.name,
                callbacks=route.callbacks,
                openapi_extra=route.openapi_extra,
                generate_unique_id_function=route.generate_unique_id_function,
                strict_content_type=route.strict_content_type,
                max_body_size=route.max_body_size,
                form_limits=route.form_limits,
            )
