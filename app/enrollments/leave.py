"""Leave of absence (休学, R-ENR-17): reason + proof document, by the 15th of the final month
(walked back to a business day), once, 1–6 months; extends the enrollment end and its grant.

- The learner's training manager (org_admin of the enrollment's organization) applies: the
  request is stored (`leave_granted_at` empty) and staff grant it later.
- Staff apply themselves (e.g. for an individual learner, by post): granted at once.
- Granting moves `enrollment_end_on` to `rules.extended_end_on(original end, months)` and the
  enrollment grant's end with it; audited.
- Emails (`emails.py`): a pending request → `leave_requested`; granted (at once or later) →
  `leave_granted`; declined → `leave_declined` with the staff's reason. To the learner and the
  requester (never staff).

The proof is a PDF, PNG or JPEG decided from its bytes (never its name), at most
`LEAVE_PROOF_MAX_BYTES`, stored through the media storage adapter under
`leave-proofs/<enrollment id>/<uuid>`. Every check runs before the file is stored, so a refused
request writes nothing; the file of a request that fails after storing it is deleted again
(`app.media.uncommitted`).

Decisions where the spec is silent: the deadline is checked on the day of the application (a
request made in time may be granted after the 15th); a pending request counts as the "once"
(staff can still grant it, not replace it); the excellent-completion deadline does not move.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record_audit_event
from app.enrollments import emails, repository, rules
from app.enrollments.errors import (
    EnrollmentNotLive,
    LeaveNotAllowed,
    LeaveNotPending,
    LeaveProofInvalid,
    refusal_text,
)
from app.enrollments.repository import LIVE_STATUSES, Reader
from app.enrollments.schemas import LeaveForm
from app.enrollments.service import AUDIT_TARGET, get_enrollment, get_settings, grant_window
from app.kit.calendar import jst_date
from app.media.storage import Storage
from app.media.uncommitted import put_with_transaction
from app.media.uploads import ReceivedFile
from app.models.enrollment import Enrollment

LEAVE_PROOF_MAX_BYTES = 10 * 1024 * 1024
"""A proof document is at most 10 MB (like question attachments, R-QST-1)."""

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def proof_content_type(head: bytes) -> str | None:
    """The content type of a proof document from its first bytes; None when not PDF/PNG/JPEG."""
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


async def apply_for_leave(
    session: AsyncSession,
    storage: Storage,
    *,
    reader: Reader,
    enrollment_id: uuid.UUID,
    form: LeaveForm,
    proof: ReceivedFile,
    actor_id: uuid.UUID | None,
    now: datetime,
    frontend_base_url: str,
) -> Enrollment:
    enrollment = await get_enrollment(session, reader, enrollment_id, for_update=True)
    if enrollment.status not in LIVE_STATUSES:
        raise EnrollmentNotLive(status=enrollment.status.value)
    settings = await get_settings(session, enrollment.course_id)
    decision = rules.leave_decision(
        jst_date(now),
        enrollment_end_on=enrollment.original_end_on,
        already_taken=enrollment.leave_months > 0,
        requested_months=form.months,
        course_allows=settings.allows_leave,
    )
    if not decision.is_allowed:
        assert decision.refusal_reason is not None
        reason = refusal_text(decision.refusal_reason.value)
        deadline = rules.leave_deadline_on(enrollment.original_end_on).isoformat()
        raise LeaveNotAllowed(
            reason=reason, extensions={"reason": reason, "leave_deadline_on": deadline}
        )
    content_type = proof_content_type(proof.head)
    if content_type is None:
        raise LeaveProofInvalid()
    key = f"leave-proofs/{enrollment.id}/{uuid.uuid4()}"
    proof.file.seek(0)
    # Deleted again if the transaction does not commit (a later step or the commit fails).
    await put_with_transaction(session, storage, key, proof.file, content_type=content_type)

    enrollment.leave_months = form.months
    enrollment.leave_reason = form.reason.value
    enrollment.leave_note = form.note
    enrollment.leave_proof_key = key
    enrollment.leave_requested_by_user_id = actor_id
    await session.flush()
    await record_audit_event(
        session,
        action="enrollment.leave_requested",
        now=now,
        actor_user_id=actor_id,
        target_type=AUDIT_TARGET,
        target_id=enrollment.id,
        data={"months": form.months, "reason": form.reason.value, "proof_key": key},
    )
    if reader.is_staff:
        await _grant(
            session, enrollment, actor_id=actor_id, now=now, frontend_base_url=frontend_base_url
        )
    else:
        await emails.leave_requested(
            session, enrollment, now=now, frontend_base_url=frontend_base_url
        )
    return enrollment


async def grant_leave(
    session: AsyncSession,
    *,
    enrollment_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    now: datetime,
    frontend_base_url: str,
) -> Enrollment:
    """Staff grant a training manager's pending leave request."""
    enrollment = await get_enrollment(session, Reader.staff(), enrollment_id, for_update=True)
    if enrollment.leave_months == 0 or enrollment.leave_granted_at is not None:
        raise LeaveNotPending()
    if enrollment.status not in LIVE_STATUSES:
        raise EnrollmentNotLive(status=enrollment.status.value)
    await _grant(
        session, enrollment, actor_id=actor_id, now=now, frontend_base_url=frontend_base_url
    )
    return enrollment


async def decline_leave(
    session: AsyncSession,
    *,
    enrollment_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    reason: str,
    now: datetime,
    frontend_base_url: str,
) -> Enrollment:
    """Staff decline a pending leave request (e.g. the proof does not support it). Audited with
    what was requested; the request is withdrawn, so it does not use up the one leave."""
    enrollment = await get_enrollment(session, Reader.staff(), enrollment_id, for_update=True)
    if enrollment.leave_months == 0 or enrollment.leave_granted_at is not None:
        raise LeaveNotPending()
    await record_audit_event(
        session,
        action="enrollment.leave_declined",
        now=now,
        actor_user_id=actor_id,
        target_type=AUDIT_TARGET,
        target_id=enrollment.id,
        data={
            "months": enrollment.leave_months,
            "requested_reason": enrollment.leave_reason,
            "proof_key": enrollment.leave_proof_key,
            "requested_by_user_id": str(enrollment.leave_requested_by_user_id)
            if enrollment.leave_requested_by_user_id
            else None,
            "reason": reason,
        },
    )
    requested_by, months = enrollment.leave_requested_by_user_id, enrollment.leave_months
    enrollment.leave_months = 0
    enrollment.leave_reason = None
    enrollment.leave_note = None
    enrollment.leave_proof_key = None
    enrollment.leave_requested_by_user_id = None
    await session.flush()
    await emails.leave_declined(
        session,
        enrollment,
        requested_by_user_id=requested_by,
        months=months,
        reason=reason,
        now=now,
        frontend_base_url=frontend_base_url,
    )
    return enrollment


async def _grant(
    session: AsyncSession,
    enrollment: Enrollment,
    *,
    actor_id: uuid.UUID | None,
    now: datetime,
    frontend_base_url: str,
) -> None:
    new_end = rules.extended_end_on(enrollment.original_end_on, enrollment.leave_months)
    previous_end = enrollment.enrollment_end_on
    enrollment.enrollment_end_on = new_end
    enrollment.leave_granted_at = now
    _, valid_until = grant_window(enrollment.start_on, new_end)
    await repository.set_grant_end(session, enrollment_id=enrollment.id, valid_until=valid_until)
    await session.flush()
    await record_audit_event(
        session,
        action="enrollment.leave_granted",
        now=now,
        actor_user_id=actor_id,
        target_type=AUDIT_TARGET,
        target_id=enrollment.id,
        data={
            "months": enrollment.leave_months,
            "previous_end_on": previous_end.isoformat(),
            "enrollment_end_on": new_end.isoformat(),
        },
    )
    await emails.leave_granted(
        session,
        enrollment,
        previous_end_on=previous_end,
        now=now,
        frontend_base_url=frontend_base_url,
    )
