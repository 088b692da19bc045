"""R-NTF-1: every email template renders in Japanese and English with all its placeholders."""

from __future__ import annotations

import re
from string import Formatter

import pytest

from app.notifications.templates import (
    BUILTIN_PLACEHOLDERS,
    TEMPLATES,
    MissingPlaceholder,
    UnknownTemplate,
    placeholders,
    render,
)

LANGUAGES = ("ja", "en")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

# R-NTF-1's list, each with the template(s) that carry it.
R_NTF_1 = {
    "registration complete": {"registration_complete"},
    "email verification": {"email_verification"},
    "email change": {
        "email_change_confirm",
        "email_change_requested_notice",
        "email_changed_notice",
    },
    "password reset": {"password_reset", "password_reset_completed"},
    "trial ends in 2 days": {"subscription_trial_ending"},
    "charge succeeded (order)": {"subscription_charge_succeeded", "purchase_completed"},
    "charge failed": {"subscription_charge_failed"},
    "cancellation confirmed": {"subscription_canceled"},
    "report graded": {"report_graded"},
    "question answered": {"question_answered"},
    "certificate issued": {"certificate_issued"},
    "report reminders": {"report_reminder"},
    "invoices": {"invoice_issued"},
    "suspension": {"account_suspended"},
}


def _fields(text: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(text) if field}


def test_r_ntf_1_every_listed_email_has_a_template() -> None:
    for kind, names in R_NTF_1.items():
        assert names <= TEMPLATES.keys(), kind


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_r_ntf_1_template_renders_with_its_placeholders(name: str, language: str) -> None:
    spec = TEMPLATES[name]
    assert set(spec.subject) == set(spec.body) == set(LANGUAGES)
    used = (_fields(spec.subject[language]) | _fields(spec.body[language])) - BUILTIN_PLACEHOLDERS
    # Both languages ask the caller for the same values.
    assert used == placeholders(name)
    context: dict[str, object] = {field: f"<<{field}>>" for field in used}

    subject, body = render(name, language, context)

    for field in used:
        assert f"<<{field}>>" in subject + body, field
    assert "{" not in subject + body and "}" not in subject + body
    assert "\n" not in subject and subject.strip() == subject
    assert len(subject) <= 300  # email_outbox.subject
    if language == "ja":
        assert subject.startswith("【学びオンライン】")
        assert JAPANESE.search(body)
        assert "学びオンライン事務局" in body
    else:
        assert subject.startswith("[Manabi Online]")
        assert "Manabi Online support office" in body


def test_unknown_locale_falls_back_to_japanese() -> None:
    context = dict.fromkeys(placeholders("password_changed"), "x")
    assert render("password_changed", "fr", context) == render("password_changed", "ja", context)


def test_missing_placeholder_names_what_is_missing() -> None:
    with pytest.raises(MissingPlaceholder, match="reset_url"):
        render("password_reset", "ja", {"name": "山田", "expires_at": "明日"})


def test_unknown_template_is_refused() -> None:
    with pytest.raises(UnknownTemplate):
        render("no_such_template", "ja", {})


def test_a_line_break_in_a_value_cannot_reach_the_subject_header() -> None:
    context: dict[str, object] = dict.fromkeys(placeholders("certificate_issued"), "x")
    context["certificate_title"] = "修了\r\nBcc: a@b"
    subject, _ = render("certificate_issued", "ja", context)
    assert "\r" not in subject and "\n" not in subject
