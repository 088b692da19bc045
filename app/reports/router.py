"""Reports for learners, certificates for their recipients, public certificate verification
(R-ENR-6 … R-ENR-14). HTTP only; decisions live in `submissions`, `views`, `completion` and
`certificates`.

What a client needs to know:

- `GET /me/enrollments/{id}/report-units` lists the course's units with the questions to answer
  (never the answer key), what was submitted, and `may_submit` / `refusal`.
- `POST …/report-units/{unit_id}/submissions` (accepts `Idempotency-Key`): multiple choice as
  `answers` (graded at once, the score is in the answer), essay as `essay_text` (queued; the due
  window `due_from_on`–`due_until_on` is 10–20 days after receipt). Refusals:
  `report-submission-after-enrollment-end` (after 23:59:59 JST of the last day, R-ENR-8),
  `report-already-submitted` (R-ENR-7), `report-grading-pending` / `report-unit-passed`
  (resubmission service, R-ENR-12).
- Every learner view of a submission hides the grader (R-ENR-14) and, when `is_disclosed` is
  false, the answers, the answer key and the comments (R-ENR-12).
- Certificates: `GET /me/certificates`, then `POST /me/certificates/{id}/download-link` for a
  5-minute link to the PDF. `GET /certificates/{number}` is public and answers name, course,
  kind and date only.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from app.auth.errors import PERSON_AUTH_ERRORS
from app.db import DbSession
from app.kit.clock import Now
from app.kit.errors import InvalidCursor, ProblemError
from app.kit.idempotency import IDEMPOTENCY_ERRORS, idempotent
from app.kit.pagination import Page, PageQuery
from app.kit.problems import problem_responses
from app.kit.ratelimit import count_hit, independent_session
from app.kit.request_context import Client
from app.models import Certificate
from app.reports import certificates, completion, links, repository, submissions, views
from app.reports.auth import AppSettings, CurrentUser
from app.reports.errors import (
    SUBMISSION_ERRORS,
    CertificateChecksTooFrequent,
    CertificateLinkExpired,
    CertificateLinkInvalid,
    CertificateNotFound,
    ReportAnswersInvalid,
    ReportEnrollmentNotFound,
    ReportSubmissionNotFound,
    ReportUnitNotFound,
)
from app.reports.pdf import render_certificate
from app.reports.schemas import (
    CertificateOut,
    CertificateVerification,
    Completion,
    DownloadLink,
    LearnerReportUnit,
    LearnerSubmission,
    SubmissionCreate,
)

CERTIFICATE_CHECKS_PER_MINUTE = 20

router = APIRouter(tags=["reports"])


def problems(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    return problem_responses(*PERSON_AUTH_ERRORS, *errors)


@router.get(
    "/me/enrollments/{enrollment_id}/report-units",
    operation_id="reports_list_my_report_units",
    summary="The report units of my enrollment, with what I may submit",
    description="Questions come without their answer key. `may_submit` follows R-ENR-7, R-ENR-8 "
    "and R-ENR-12; `refusal` is the problem type a submission would get.",
    responses=problems(ReportEnrollmentNotFound),
)
async def list_my_report_units(
    enrollment_id: uuid.UUID, subject: CurrentUser, session: DbSession, now: Now
) -> Page[LearnerReportUnit]:
    items = await submissions.learner_units(
        session, user=subject.require_user(), enrollment_id=enrollment_id, now=now
    )
    return Page[LearnerReportUnit](items=items, next_cursor=None)


@router.post(
    "/me/enrollments/{enrollment_id}/report-units/{unit_id}/submissions",
    operation_id="reports_create_submission",
    summary="Submit a report",
    description="One submission per unit (R-ENR-7) unless the resubmission service allows "
    "another below the pass mark (R-ENR-12); by 23:59:59 JST of the enrollment's last day "
    "(R-ENR-8). Multiple choice is graded at once; essays get a due window (R-ENR-6).",
    status_code=201,
    responses=problems(
        *IDEMPOTENCY_ERRORS,
        *SUBMISSION_ERRORS,
        ReportEnrollmentNotFound,
        ReportUnitNotFound,
        ReportAnswersInvalid,
    ),
)
@idempotent(status_code=201)
async def create_submission(
    enrollment_id: uuid.UUID,
    unit_id: uuid.UUID,
    body: SubmissionCreate,
    subject: CurrentUser,
    session: DbSession,
    now: Now,
    settings: AppSettings,
    request: Request,
    response: Response,
) -> LearnerSubmission:
    submission, unit, enrollment = await submissions.submit(
        session,
        user=subject.require_user(),
        enrollment_id=enrollment_id,
        unit_id=unit_id,
        body=body,
        now=now,
        frontend_base_url=settings.frontend_base_url,
    )
    response.headers["Location"] = request.url_for(
        "reports_get_my_submission",
        enrollment_id=str(enrollment.id),
        submission_id=str(submission.id),
    ).path
    return views.learner_submission(submission, unit, enrollment)


@router.get(
    "/me/enrollments/{enrollment_id}/report-submissions",
    operation_id="reports_list_my_submissions",
    summary="My submissions in an enrollment",
    description="Oldest first, cursor-paged. Never names the grader (R-ENR-14); withheld "
    "content per R-ENR-12 (`is_disclosed`).",
    responses=problems(ReportEnrollmentNotFound, InvalidCursor),
)
async def list_my_submissions(
    enrollment_id: uuid.UUID, subject: CurrentUser, session: DbSession, page: PageQuery
) -> Page[LearnerSubmission]:
    enrollment, rows, next_cursor = await submissions.learner_submissions(
        session, user=subject.require_user(), enrollment_id=enrollment_id, page=page
    )
    return Page[LearnerSubmission](
        items=[views.learner_submission(s, unit, enrollment) for s, unit in rows],
        next_cursor=next_cursor,
    )


@router.get(
    "/me/enrollments/{enrollment_id}/report-submissions/{submission_id}",
    operation_id="reports_get_my_submission",
    name="reports_get_my_submission",
    summary="One of my submissions",
    description="Answers, answer key and comments only when `is_disclosed` (R-ENR-12).",
    responses=problems(ReportEnrollmentNotFound, ReportSubmissionNotFound),
)
async def get_my_submission(
    enrollment_id: uuid.UUID, submission_id: uuid.UUID, subject: CurrentUser, session: DbSession
) -> LearnerSubmission:
    submission, unit, enrollment = await submissions.learner_submission(
        session,
        user=subject.require_user(),
        enrollment_id=enrollment_id,
        submission_id=submission_id,
    )
    return views.learner_submission(submission, unit, enrollment)


@router.get(
    "/me/enrollments/{enrollment_id}/completion",
    operation_id="reports_get_my_completion",
    summary="My completion status (修了 / 優秀修了 / 未修了)",
    description="Evaluated by R-ENR-9, R-ENR-10, R-ENR-11 with the enrollment's thresholds; "
    "`reasons` say why it is not better. The certificate, when issued and addressed to you.",
    responses=problems(ReportEnrollmentNotFound),
)
async def get_my_completion(
    enrollment_id: uuid.UUID, subject: CurrentUser, session: DbSession, now: Now
) -> Completion:
    user = subject.require_user()
    enrollment = await submissions.own_enrollment(session, user, enrollment_id)
    units = await repository.units_of_course(session, enrollment.course_id)
    reasons: list[str] = []
    if units:
        found = await repository.submissions_of_enrollment(session, enrollment.id)
        result = completion.evaluate(enrollment, [u.id for u in units], found, now=now)
        reasons = [reason.value for reason in result.reasons]
    certificate = await repository.certificate_of_enrollment(session, enrollment.id)
    visible = certificate is not None and certificates.may_receive(user, enrollment)
    return Completion(
        enrollment_id=enrollment.id,
        completion_status=enrollment.completion_status.value,
        completed_on=enrollment.completed_on,
        reasons=reasons,
        certificate=CertificateOut.model_validate(certificate) if visible else None,
    )


# --- Certificates -------------------------------------------------------------------------------


@router.get(
    "/me/certificates",
    operation_id="reports_list_my_certificates",
    summary="Certificates I receive",
    description="Your own, or — as training manager / organization admin — those the "
    "enrollment sends to you (R-ENR-13, R-B2B-12). Newest first.",
    responses=problems(),
)
async def list_my_certificates(subject: CurrentUser, session: DbSession) -> Page[CertificateOut]:
    found = await certificates.certificates_of(session, subject.require_user())
    return Page[CertificateOut](
        items=[CertificateOut.model_validate(c) for c in found], next_cursor=None
    )


@router.post(
    "/me/certificates/{certificate_id}/download-link",
    operation_id="reports_create_certificate_download_link",
    summary="A short-lived link to a certificate PDF",
    description="Valid 5 minutes (R-ENR-13).",
    responses=problems(CertificateNotFound),
)
async def create_certificate_download_link(
    certificate_id: uuid.UUID,
    subject: CurrentUser,
    session: DbSession,
    now: Now,
    settings: AppSettings,
    request: Request,
) -> DownloadLink:
    certificate, _ = await certificates.certificate_for(
        session, subject.require_user(), certificate_id
    )
    token, expires_at = links.issue(certificate.id, now=now, signing_key=settings.signing_key)
    url = request.url_for("reports_download_certificate_file", token=token)
    return DownloadLink(url=str(url), expires_at=expires_at)


@router.get(
    "/certificate-files/{token}",
    operation_id="reports_download_certificate_file",
    name="reports_download_certificate_file",
    summary="Download a certificate PDF through its signed link",
    description="Public: the signed token authenticates (R-ENR-13).",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The certificate PDF"},
        **problem_responses(CertificateLinkInvalid, CertificateLinkExpired, CertificateNotFound),
    },
)
async def download_certificate_file(
    token: Annotated[str, Path(max_length=512)],
    session: DbSession,
    now: Now,
    settings: AppSettings,
) -> Response:
    certificate_id = links.verify(token, now=now, signing_key=settings.signing_key)
    certificate = await session.get(Certificate, certificate_id)
    if certificate is None or certificate.revoked_at is not None:
        raise CertificateNotFound()
    return Response(
        content=render_certificate(certificate),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="certificate-{certificate.number}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "/certificates/{number}",
    operation_id="reports_verify_certificate",
    summary="Verify a certificate number",
    description="Public. Answers the name, course, kind and completion date of a certificate "
    "— nothing more (R-ENR-13). At most 20 checks a minute per client address (429).",
    responses=problem_responses(CertificateNotFound, CertificateChecksTooFrequent),
)
async def verify_certificate(
    number: Annotated[str, Path(max_length=32)], session: DbSession, now: Now, client: Client
) -> CertificateVerification:
    async with independent_session(session) as counting:
        hit = await count_hit(
            counting,
            f"certificate-check:{client.ip_address}",
            now=now,
            limit=CERTIFICATE_CHECKS_PER_MINUTE,
        )
    if not hit.allowed:
        raise CertificateChecksTooFrequent(retry_after_seconds=hit.retry_after_seconds(now))
    certificate = await certificates.verify(session, number)
    return CertificateVerification(
        number=certificate.number,
        learner_name=certificate.learner_name,
        course_title=certificate.course_title,
        kind=certificate.kind,
        completed_on=certificate.completed_on,
    )
