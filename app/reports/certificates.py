"""Certificates (修了証書 / 優秀修了証書), R-ENR-13, R-B2B-12.

- `issue_for`: once per completed or excellent enrollment of a course with certificates, with a
  unique human number and a snapshot of the learner's name, the course title and the completion
  date; the recipients are emailed (`certificate_issued`).
- Who receives it is the enrollment's `recipient` (R-B2B-12): the learner, or the training
  manager / department manager named on the enrollment. When the enrollment names no manager
  user, the organization's admins (org_admin, 教育ご担当者) stand in for them. Staff may always
  download. Anyone else gets `certificate-not-found` (no enumeration).
- `verify`: the public check of a number answers name, course, kind and date — nothing more.

Decisions where the spec is silent:

- Numbers look like `2027-K7QP-4XM9`: the issue year and 8 characters drawn at random from 31
  unambiguous letters and digits (no 0/O, 1/I/L), about 8.5 × 10^11 per year, so numbers cannot
  be walked to harvest names through the public verification.
- A staff re-grading (R-ENR-15) that changes the kind or the date updates the certificate in
  place: the number stays, the PDF is drawn from the stored fields.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.auth import STAFF_ROLES
from app.kit.calendar import jst_date
from app.models import (
    Certificate,
    CertificateKind,
    CompletionStatus,
    Course,
    Enrollment,
    Recipient,
    Role,
    User,
)
from app.notifications.service import notify_user
from app.reports import repository
from app.reports.errors import CertificateNotFound

NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CERTIFICATE_TITLES = {
    CertificateKind.completion: {"ja": "修了証書", "en": "Certificate of Completion"},
    CertificateKind.excellent: {"ja": "優秀修了証書", "en": "Certificate of Excellent Completion"},
}
_MANAGER_RECIPIENTS = {
    Recipient.training_manager: ("training_manager_user_id",),
    Recipient.department_manager: ("department_manager_user_id",),
    Recipient.both_managers: ("training_manager_user_id", "department_manager_user_id"),
}


def new_number(issued_at: datetime) -> str:
    chars = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))
    return f"{jst_date(issued_at).year}-{chars[:4]}-{chars[4:]}"


def kind_for(status: CompletionStatus) -> CertificateKind:
    if status is CompletionStatus.excellent:
        return CertificateKind.excellent
    if status is CompletionStatus.completed:
        return CertificateKind.completion
    raise ValueError("only a completed or excellent enrollment has a certificate")


async def recipients(session: AsyncSession, enrollment: Enrollment) -> list[User]:
    """Who receives this enrollment's certificate (R-ENR-13, R-B2B-12)."""
    if enrollment.recipient is Recipient.learner:
        learner = await session.get(User, enrollment.user_id)
        return [learner] if learner is not None else []
    ids = [
        getattr(enrollment, field)
        for field in _MANAGER_RECIPIENTS[enrollment.recipient]
        if getattr(enrollment, field) is not None
    ]
    if ids:
        return list((await session.scalars(select(User).where(User.id.in_(ids)))).all())
    if enrollment.organization_id is None:
        return []
    return list(
        (
            await session.scalars(
                select(User).where(
                    User.organization_id == enrollment.organization_id,
                    User.role == Role.org_admin,
                )
            )
        ).all()
    )


def may_receive(user: User, enrollment: Enrollment) -> bool:
    """May `user` download this enrollment's certificate? (see the module docstring)"""
    if user.role in STAFF_ROLES:
        return True
    if enrollment.recipient is Recipient.learner:
        return user.id == enrollment.user_id
    named = [
        getattr(enrollment, field)
        for field in _MANAGER_RECIPIENTS[enrollment.recipient]
        if getattr(enrollment, field) is not None
    ]
    if user.id in named:
        return True
    return (
        not named
        and user.role is Role.org_admin
        and enrollment.organization_id is not None
        and user.organization_id == enrollment.organization_id
    )


async def issue_for(
    session: AsyncSession,
    enrollment: Enrollment,
    *,
    learner: User,
    course: Course,
    now: datetime,
    frontend_base_url: str,
) -> Certificate:
    assert enrollment.completed_on is not None
    kind = kind_for(enrollment.completion_status)
    certificate = await repository.certificate_of_enrollment(session, enrollment.id)
    if certificate is not None:
        if (
            certificate.kind is kind
            and certificate.completed_on == enrollment.completed_on
            and certificate.revoked_at is None
        ):
            return certificate
        certificate.kind = kind
        certificate.completed_on = enrollment.completed_on
        certificate.revoked_at = None
    else:
        certificate = await _insert(session, enrollment, learner, course, kind, now)
    await session.flush()
    for person in await recipients(session, enrollment):
        title = CERTIFICATE_TITLES[kind]
        await notify_user(
            session,
            person,
            template="certificate_issued",
            now=now,
            context={
                "course_title": course.title,
                "certificate_title": title.get(person.locale, title["ja"]),
                "certificate_number": certificate.number,
                "certificate_url": f"{frontend_base_url}/certificates/{certificate.id}",
            },
        )
    return certificate


async def _insert(
    session: AsyncSession,
    enrollment: Enrollment,
    learner: User,
    course: Course,
    kind: CertificateKind,
    now: datetime,
) -> Certificate:
    assert enrollment.completed_on is not None
    for _ in range(5):  # a number collision is astronomically rare; retry a few times anyway
        certificate = Certificate(
            id=uuid.uuid4(),
            enrollment_id=enrollment.id,
            number=new_number(now),
            kind=kind,
            learner_name=learner.name,
            course_title=course.title,
            completed_on=enrollment.completed_on,
            issued_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(certificate)
                await session.flush()
        except IntegrityError:
            continue
        return certificate
    raise RuntimeError("could not draw a unique certificate number")


async def revoke_for(session: AsyncSession, enrollment: Enrollment, *, now: datetime) -> bool:
    """The enrollment is no longer completed (a staff re-grade, R-ENR-15): its certificate stops
    verifying and downloading. True when one was revoked."""
    certificate = await repository.certificate_of_enrollment(session, enrollment.id)
    if certificate is None or certificate.revoked_at is not None:
        return False
    certificate.revoked_at = now
    await session.flush()
    return True


async def certificate_for(
    session: AsyncSession, user: User, certificate_id: uuid.UUID
) -> tuple[Certificate, Enrollment]:
    row = (
        await session.execute(
            select(Certificate, Enrollment)
            .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
            .where(Certificate.id == certificate_id, Certificate.revoked_at.is_(None))
        )
    ).first()
    if row is None or not may_receive(user, row[1]):
        raise CertificateNotFound()
    return row[0], row[1]


async def certificates_of(session: AsyncSession, user: User) -> list[Certificate]:
    """The certificates `user` receives, newest first."""
    conditions = [
        (Enrollment.user_id == user.id) & (Enrollment.recipient == Recipient.learner),
        Enrollment.training_manager_user_id == user.id,
        Enrollment.department_manager_user_id == user.id,
    ]
    if user.role is Role.org_admin and user.organization_id is not None:
        conditions.append(
            (Enrollment.organization_id == user.organization_id)
            & (Enrollment.recipient != Recipient.learner)
        )
    rows = (
        await session.execute(
            select(Certificate, Enrollment)
            .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
            .where(or_(*conditions), Certificate.revoked_at.is_(None))
            .order_by(Certificate.issued_at.desc(), Certificate.id)
        )
    ).all()
    return [certificate for certificate, enrollment in rows if may_receive(user, enrollment)]


async def verify(session: AsyncSession, number: str) -> Certificate:
    normalized = number.strip().upper()
    certificate = (
        await session.scalars(
            select(Certificate).where(
                Certificate.number == normalized, Certificate.revoked_at.is_(None)
            )
        )
    ).one_or_none()
    if certificate is None:
        raise CertificateNotFound()
    return certificate
