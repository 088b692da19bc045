"""Reports through the API: submissions, grading, disclosure, completion, certificates.
R-ENR-6 … R-ENR-15, on the real database."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.kit.calendar import jst_end_of_day
from app.models import (
    AuditEvent,
    CompletionStatus,
    CorrespondenceSettings,
    Course,
    EmailOutbox,
    Enrollment,
    ReportUnit,
    ReportUnitKind,
    Role,
    User,
)
from app.reports.tasks import evaluate_ended_enrollments
from tests.enrollments.factories import make_correspondence_course, make_enrollment
from tests.factories import bearer_for, make_user

ACCEPTED = date(2026, 11, 20)  # start 2026-12-01, end 2027-05-31, excellent by 2027-04-30
IN_TERM = datetime(2027, 1, 10, 3, 0, tzinfo=UTC)
QUESTIONS = [
    {"prompt": f"問{i}", "choices": ["ア", "イ", "ウ"], "correct_choice": 1, "explanation": "解説"}
    for i in range(1, 5)
]


async def _unit(
    session: AsyncSession, course: Course, position: int, kind: ReportUnitKind
) -> ReportUnit:
    unit = ReportUnit(
        id=uuid.uuid4(),
        course_id=course.id,
        position=position,
        title=f"第{position}回レポート",
        instructions="",
        kind=kind,
        questions=QUESTIONS if kind is ReportUnitKind.multiple_choice else [],
    )
    session.add(unit)
    await session.flush()
    return unit


class World:
    course: Course
    settings: CorrespondenceSettings
    mc: ReportUnit
    essay: ReportUnit
    learner: User
    enrollment: Enrollment
    headers: dict[str, str]
    now: datetime
    session: AsyncSession
    app_settings: Settings
    freeze: Any

    async def bearer(self, user: User) -> dict[str, str]:
        return await bearer_for(self.session, user, self.app_settings, self.now)

    async def at(self, when: datetime) -> None:
        """Move the app's clock; the learner's token is re-issued at that time."""
        await self.freeze(when)
        self.now = when
        self.headers = await self.bearer(self.learner)


async def _world(
    session: AsyncSession,
    settings: Settings,
    freeze_time: Any,
    *,
    resubmission: bool = False,
    at: datetime = IN_TERM,
) -> World:
    w = World()
    w.session, w.app_settings, w.freeze = session, settings, freeze_time
    w.course, w.settings = await make_correspondence_course(session)
    w.mc = await _unit(session, w.course, 1, ReportUnitKind.multiple_choice)
    w.essay = await _unit(session, w.course, 2, ReportUnitKind.essay)
    w.learner = await make_user(session, name="佐藤 花子")
    w.enrollment = await make_enrollment(
        session,
        w.learner,
        w.course,
        w.settings,
        accepted_on=ACCEPTED,
        has_resubmission_service=resubmission,
    )
    await w.at(at)
    return w


def _submit_url(w: World, unit: ReportUnit) -> str:
    return f"/api/v1/me/enrollments/{w.enrollment.id}/report-units/{unit.id}/submissions"


async def _submit_mc(client: httpx.AsyncClient, w: World, correct: int) -> httpx.Response:
    answers = [1] * correct + [0] * (len(QUESTIONS) - correct)
    return await client.post(_submit_url(w, w.mc), json={"answers": answers}, headers=w.headers)


async def _grade(
    client: httpx.AsyncClient, headers: dict[str, str], submission_id: str, score: int
) -> httpx.Response:
    return await client.post(
        f"/api/v1/grader/report-submissions/{submission_id}/grade",
        json={"score": score, "comments": "よく書けています"},
        headers=headers,
    )


async def _learner_views(client: httpx.AsyncClient, w: World, submission_id: str) -> list[Any]:
    listed = await client.get(
        f"/api/v1/me/enrollments/{w.enrollment.id}/report-submissions", headers=w.headers
    )
    detail = await client.get(
        f"/api/v1/me/enrollments/{w.enrollment.id}/report-submissions/{submission_id}",
        headers=w.headers,
    )
    assert listed.status_code == 200 and detail.status_code == 200
    return [next(i for i in listed.json()["items"] if i["id"] == submission_id), detail.json()]


async def test_r_enr_6_multiple_choice_graded_at_once_score_rounded_down(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings, freeze_time: Any
) -> None:
    w = await _world(session, settings, freeze_time)
    response = await _submit_mc(client, w, correct=3)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "graded" and body["score"] == 75
    assert body["is_disclosed"] is True and body["results"][0]["correct_choice"] == 1
    units = await client.get(
        f"/api/v1/me/enrollments/{w.enrollment.id}/report-units", headers=w.headers
    )
    first = units.json()["items"][0]
    assert "correct_choice" not in first["questions"][0]
    assert first["may_submit"] is False and first["refusal"] == "report-already-submitted"


async def test_r_enr_6_essay_queued_with_10_to_20_day_window(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings, freeze_time: Any
) -> None:
    w = await _world(session, settings, freeze_time)
    await w.at(datetime(2027, 1, 31, 15, 30, tzinfo=UTC))  # 2027-02-01 00:30 JST
    response = await client.post(
        _submit_url(w, w.essay), json={"essay_text": "労務管理について"}, headers=w.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "awaiting_grading"
    assert (body["due_from_on"], body["due_until_on"]) == ("2027-02-11", "2027-02-21")
    assert body["essay_text"] is None  # nothing disclosed before the grade


async def test_r_enr_7_second_submission_refused_and_changes_nothing(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings, freeze_time: Any
) -> None:
    w = await _world(session, settings, freeze_time)
    assert (await _submit_mc(client, w, 4)).status_code == 201
    again = await _submit_mc(client, w, 4)
    assert again.status_code == 409
    assert again.json()["type"] == "report-already-submitted"
    listed = await client.get(
        f"/api/v1/me/enrollments/{w.enrollment.id}/report-submissions", headers=w.headers
    )
    assert len(listed.json()["items"]) == 1


async def test_r_enr_7_only_inside_own_enrollment(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings, freeze_time: Any
) -> None:
    w = await _world(session, settings, freeze_time)
    other = await make_user(session)
    response = await client.post(
        _submit_url(w, w.mc),
        json={"answers": [1, 1, 1, 1]},
        headers=await w.bearer(other),
    )
    assert response.status_code == 404
    assert response.json()["type"] == "report-enrollment-not-found"


async def test_r_enr_8_last_second_of_enrollment_accepted(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings, freeze_time: Any
) -> None:
    w = await _world(session, settings, freeze_time)
    await w.at(jst_end_of_day(date(2027, 5, 31)).replace(microsecond=0))
    assert (await _submit_mc(client, w, 4)).status_code == 201


async def test_r_enr_8_first_second_after_enrollment_refused(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings, freeze_time: Any
) -> None:
    w = await _world(session, settings, freeze_time)
    await w.at(jst_end_of_day(date(2027, 5, 31)) + timedelta(microseconds=1))
    response = await _submit_mc(client, w, 4)
    assert response.status_code == 409
    assert response.json()["type"] == "report-submission-after-enrollment-end"
    assert "2027-05-31" in response.json()["detail"]


async def test_r_enr_12_below_pass_under_resubmission_only_score_everywhere_forever(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings, freeze_time: Any
) -> None:
    """Every learner endpoint: the creation answer, the list, the detail — also after the end."""
    w = await _world(session, settings, freeze_time, resubmission=True)
    first = await _submit_mc(client, w, correct=2)  # 50 < 60
    assert first.status_code == 201
    first_id = first.json()["id"]
    for view in [first.json(), *await _learner_views(client, w, first_id)]:
        assert view["score"] == 50 and view["is_disclosed"] is False
        assert view["answers"] is None and view["results"] is None and view["comments"] is None
    # R-ENR-12: resubmission allowed below the pass mark; the passing one discloses itself only.
    second = await _submit_mc(client, w, correct=4)
    assert second.status_code == 201 and second.json()["is_disclosed"] is True
    assert second.json()["results"] is not None
    await w.at(datetime(2027, 7, 1, tzinfo=UTC))  # after the enrollment end
    for view in await _learner_views(client, w, first_id):
        assert view["is_disclosed"] is False and view["results"] is None
    third = await _submit_mc(client, w, correct=4)
    assert third.json()["type"] == "report-submission-after-enrollment-end"


async def test_r_enr_12_essay_below_pass_hides_comments_and_text(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings, freeze_time: Any
) -> None:
    w = await _world(session, settings, freeze_time, resubmission=True)
    grader = await make_user(session, role=Role.grader, name="採点 太郎")
    grader_headers = await w.bearer(grader)
    essay = await client.post(
        _submit_url(w, w.essay), json={"essay_text": "本文"}, headers=w.headers
    )
    essay_id = essay.json()["id"]
    assert (await _grade(client, grader_headers, essay_id, 59)).status_code == 200
    for view in await _learner_views(client, w, essay_id):
        assert view["score"] == 59 and view["comments"] is None and view["essay_text"] is None
        # R-ENR-14: no grader identity in any learner response.
        assert str(grader.id) not in str(view) and "採点 太郎" not in str(view)
        assert not any("grader" in key for key in view)


async def test_r_enr_12_at_pass_mark_discloses(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings, freeze_time: Any
) -> None:
    w = await _world(session, settings, freeze_time, resubmission=True)
    grader = await make_user(session, role=Role.grader)
    essay = await client.post(
        _submit_url(w, w.essay), json={"essay_text": "本文"}, headers=w.headers
    )
    await _grade(client, await w.bearer(grader), essay.json()["id"], 60)
    views = await _learner_views(client, w, essay.json()["id"])
    assert all(v["is_disclosed"] and v["comments"] == "よく書けています" for v in views)


async def test_r_enr_15_grader_cannot_regrade_staff_regrade_needs_reason_and_is_audited(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings, freeze_time: Any
) -> None:
    w = await _world(session, settings, freeze_time)
    grader = await make_user(session, role=Role.grader)
    staff = await make_user(session, role=Role.staff)
    grader_headers = await w.bearer(grader)
    staff_headers = await w.bearer(staff)
    essay = await client.post(
        _submit_url(w, w.essay), json={"essay_text": "本文"}, headers=w.headers
    )
    essay_id = essay.json()["id"]
    assert (await _grade(client, grader_headers, essay_id, 40)).status_code == 200
    again = await _grade(client, grader_headers, essay_id, 90)
    assert again.status_code == 409 and again.json()["type"] == "report-already-graded"
    url = f"/api/v1/admin/report-submissions/{essay_id}/regrade"
    denied = await client.post(url, json={"score": 90, "reason": "x"}, headers=grader_headers)
    assert denied.status_code == 403
    no_reason = await client.post(url, json={"score": 90}, headers=staff_headers)
    assert no_reason.status_code == 422
    done = await client.post(
        url, json={"score": 90, "reason": "採点基準の誤り"}, headers=staff_headers
    )
    assert done.status_code == 200, done.text
    assert done.json()["score"] == 90 and done.json()["regrades"][0]["previous_score"] == 40
    audit = (
        await session.scalars(select(AuditEvent).where(AuditEvent.target_id == essay_id))
    ).all()
    assert [a.action for a in audit] == ["report.regraded"]
    assert audit[0].data["reason"] == "採点基準の誤り"


async def test_grader_cannot_grade_an_essay_assigned_to_another(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings, freeze_time: Any
) -> None:
    w = await _world(session, settings, freeze_time)
    first = await make_user(session, role=Role.grader)
    second = await make_user(session, role=Role.grader)
    essay = await client.post(
        _submit_url(w, w.essay), json={"essay_text": "本文"}, headers=w.headers
    )
    essay_id = essay.json()["id"]
    first_headers = await w.bearer(first)
    claimed = await client.post(
        f"/api/v1/grader/report-submissions/{essay_id}/claim", headers=first_headers
    )
    assert claimed.status_code == 200
    refused = await _grade(client, await w.bearer(second), essay_id, 80)
    assert refused.json()["type"] == "report-assigned-to-another-grader"
    queue = await client.get("/api/v1/grader/report-submissions", headers=first_headers)
    assert [item["id"] for item in queue.json()["items"]] == [essay_id]


async def test_r_enr_10_r_enr_13_excellent_completion_certificate_pdf_and_verification(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings, freeze_time: Any
) -> None:
    w = await _world(session, settings, freeze_time)
    grader = await make_user(session, role=Role.grader)
    assert (await _submit_mc(client, w, 4)).json()["score"] == 100
    essay = await client.post(
        _submit_url(w, w.essay), json={"essay_text": "本文"}, headers=w.headers
    )
    await w.at(datetime(2027, 1, 20, 1, 0, tzinfo=UTC))
    await _grade(client, await w.bearer(grader), essay.json()["id"], 80)
    completion = await client.get(
        f"/api/v1/me/enrollments/{w.enrollment.id}/completion", headers=w.headers
    )
    body = completion.json()
    assert body["completion_status"] == "excellent" and body["completed_on"] == "2027-01-20"
    certificate = body["certificate"]
    assert certificate["kind"] == "excellent"
    emails = (
        await session.scalars(select(EmailOutbox).where(EmailOutbox.user_id == w.learner.id))
    ).all()
    assert {"report_graded", "completion_result", "certificate_issued"} <= {
        e.template for e in emails
    }

    link = await client.post(
        f"/api/v1/me/certificates/{certificate['id']}/download-link", headers=w.headers
    )
    assert link.status_code == 200
    pdf = await client.get(link.json()["url"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "優秀修了証書" in text and "佐藤 花子" in text and "人事労務コース" in text
    assert certificate["number"] in text and "2027年1月20日" in text

    other = await make_user(session)
    hidden = await client.post(
        f"/api/v1/me/certificates/{certificate['id']}/download-link",
        headers=await w.bearer(other),
    )
    assert hidden.status_code == 404
    verified = await client.get(f"/api/v1/certificates/{certificate['number']}")
    assert verified.json() == {
        "number": certificate["number"],
        "learner_name": "佐藤 花子",
        "course_title": "人事労務コース",
        "kind": "excellent",
        "completed_on": "2027-01-20",
    }
    assert (await client.get("/api/v1/certificates/2027-XXXX-XXXX")).status_code == 404


async def test_r_enr_9_completion_not_excellent_below_minimum_and_r_enr_11_org_threshold(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings, freeze_time: Any
) -> None:
    w = await _world(session, settings, freeze_time)
    w.enrollment.pass_average = 70  # the organization's own threshold (R-ENR-11)
    await session.flush()
    grader = await make_user(session, role=Role.grader)
    await _submit_mc(client, w, 3)  # 75
    essay = await client.post(
        _submit_url(w, w.essay), json={"essay_text": "本文"}, headers=w.headers
    )
    await _grade(client, await w.bearer(grader), essay.json()["id"], 60)
    await session.refresh(w.enrollment)
    # average 67.5: completes by the default 60, not by the organization's 70.
    assert w.enrollment.completion_status is CompletionStatus.not_completed
    listed = await client.get("/api/v1/me/certificates", headers=w.headers)
    assert listed.json()["items"] == []


async def test_r_enr_9_completed_at_average_60_with_certificate_to_training_manager(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings, freeze_time: Any
) -> None:
    w = await _world(session, settings, freeze_time)
    manager = await make_user(session, name="研修 担当")
    w.enrollment.recipient = "training_manager"  # type: ignore[assignment]
    w.enrollment.training_manager_user_id = manager.id
    await session.flush()
    grader = await make_user(session, role=Role.grader)
    await _submit_mc(client, w, 2)  # 50
    essay = await client.post(
        _submit_url(w, w.essay), json={"essay_text": "本文"}, headers=w.headers
    )
    await _grade(client, await w.bearer(grader), essay.json()["id"], 70)
    await session.refresh(w.enrollment)
    assert w.enrollment.completion_status is CompletionStatus.completed  # (50 + 70) / 2 = 60
    mine = await client.get("/api/v1/me/certificates", headers=w.headers)
    assert mine.json()["items"] == []  # the enrollment sends it to the training manager
    theirs = await client.get("/api/v1/me/certificates", headers=await w.bearer(manager))
    assert [c["kind"] for c in theirs.json()["items"]] == ["completion"]


async def test_r_enr_11_job_marks_ended_enrollment_with_missing_unit_not_completed(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings, freeze_time: Any
) -> None:
    w = await _world(session, settings, freeze_time)
    await _submit_mc(client, w, 4)
    on_last_day = jst_end_of_day(date(2027, 5, 31))
    await evaluate_ended_enrollments(session, now=on_last_day, frontend_base_url="http://x")
    await session.refresh(w.enrollment)
    assert w.enrollment.completion_status is CompletionStatus.pending
    await evaluate_ended_enrollments(
        session, now=on_last_day + timedelta(seconds=1), frontend_base_url="http://x"
    )
    await session.refresh(w.enrollment)
    assert w.enrollment.completion_status is CompletionStatus.not_completed


async def test_r_enr_15_regrade_that_withdraws_completion_revokes_the_certificate(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings, freeze_time: Any
) -> None:
    w = await _world(session, settings, freeze_time)
    grader = await make_user(session, role=Role.grader)
    staff = await make_user(session, role=Role.staff)
    await _submit_mc(client, w, 4)  # 100
    essay = await client.post(
        _submit_url(w, w.essay), json={"essay_text": "本文"}, headers=w.headers
    )
    await _grade(client, await w.bearer(grader), essay.json()["id"], 60)  # average 80
    mine = (await client.get("/api/v1/me/certificates", headers=w.headers)).json()["items"]
    assert [c["kind"] for c in mine] == ["completion"]
    number = mine[0]["number"]
    assert (await client.get(f"/api/v1/certificates/{number}")).status_code == 200

    # The company's error: the essay deserved 10. Average 55 → not completed once it is final.
    url = f"/api/v1/admin/report-submissions/{essay.json()['id']}/regrade"
    staff_headers = await w.bearer(staff)
    done = await client.post(url, json={"score": 10, "reason": "採点の誤り"}, headers=staff_headers)
    assert done.status_code == 200, done.text
    await session.refresh(w.enrollment)
    assert w.enrollment.completion_status is not CompletionStatus.completed
    assert (await client.get("/api/v1/me/certificates", headers=w.headers)).json()["items"] == []
    assert (await client.get(f"/api/v1/certificates/{number}")).status_code == 404

    # Re-graded back: the same number verifies again.
    back = await client.post(url, json={"score": 60, "reason": "再確認"}, headers=staff_headers)
    assert back.status_code == 200
    again = (await client.get("/api/v1/me/certificates", headers=w.headers)).json()["items"]
    assert [c["number"] for c in again] == [number]
    assert (await client.get(f"/api/v1/certificates/{number}")).status_code == 200


async def test_r_enr_12_resubmissions_list_is_cursor_paged_oldest_first(
    session: AsyncSession, client: httpx.AsyncClient, settings: Settings, freeze_time: Any
) -> None:
    w = await _world(session, settings, freeze_time, resubmission=True)
    ids = []
    for correct in (1, 2, 2):  # 25, 50, 50: below the pass mark, so resubmission is allowed
        response = await _submit_mc(client, w, correct)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
        await w.at(w.now + timedelta(minutes=1))
    url = f"/api/v1/me/enrollments/{w.enrollment.id}/report-submissions"
    first = await client.get(url, params={"limit": 2}, headers=w.headers)
    assert first.status_code == 200
    assert [item["id"] for item in first.json()["items"]] == ids[:2]
    cursor = first.json()["next_cursor"]
    assert cursor
    second = await client.get(url, params={"limit": 2, "cursor": cursor}, headers=w.headers)
    assert [item["id"] for item in second.json()["items"]] == ids[2:]
    assert second.json()["next_cursor"] is None
    # Below the pass mark under the service: only scores, on every page.
    for item in first.json()["items"] + second.json()["items"]:
        assert item["is_disclosed"] is False
