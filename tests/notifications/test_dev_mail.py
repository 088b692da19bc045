"""The dev mail loop: the worker's delivery → `scripts/smtp_sink.py` → .eml files →
`app/dev/mail_router.py`, so a front-end developer can open a verification link."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.dev.mail_router import MAIL_DIR_ENV
from app.dev.mail_router import router as mail_router
from app.kit.problems import install_problem_handlers
from app.notifications.delivery import DeliveryOutcome, deliver_email
from app.notifications.service import enqueue_email
from tests.notifications.conftest import HOST, free_port

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def _load_sink() -> ModuleType:
    spec = importlib.util.spec_from_file_location("smtp_sink", ROOT / "scripts" / "smtp_sink.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("smtp_sink", module)
    spec.loader.exec_module(module)
    return module


smtp_sink = _load_sink()


@pytest.fixture
def mail_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "devmail"
    monkeypatch.setenv(MAIL_DIR_ENV, str(directory))
    return directory


@pytest.fixture
def sink_port(mail_dir: Path) -> Iterator[int]:
    port = free_port()
    controller = Controller(smtp_sink.SaveToDirectory(mail_dir), hostname=HOST, port=port)
    controller.start()
    yield port
    controller.stop()


@pytest.fixture
async def dev_client() -> AsyncIterator[httpx.AsyncClient]:
    api = FastAPI()
    install_problem_handlers(api)
    api.include_router(mail_router)
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def _eml_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.eml"))


def _write_three_mails(directory: Path) -> None:
    directory.mkdir(parents=True)
    for minute in range(3):
        name = smtp_sink.file_name(T0.replace(minute=minute), [f"m{minute}@example.jp"])
        (directory / name).write_bytes(
            f"To: m{minute}@example.jp\r\nSubject: =?utf-8?b?5Lu25ZCN?=\r\n\r\nbody\r\n".encode()
        )


def _write_secret_next_to(directory: Path) -> None:
    directory.mkdir(parents=True)
    (directory.parent / "secret.eml").write_text("Subject: secret\r\n\r\nsecret\r\n")


def test_sink_file_names_sort_by_arrival_and_name_the_recipient() -> None:
    first = smtp_sink.file_name(T0, ["taro@example.jp"])
    second = smtp_sink.file_name(T0.replace(second=1), ["a/../../b@example.jp", "c@example.jp"])
    assert first == "20261123T010000.000000Z_taro@example.jp.eml"
    assert second > first
    assert "/" not in second and second.endswith("_and-1-more.eml")


async def test_a_delivered_email_lands_in_the_sink_and_the_dev_endpoints_show_its_link(
    session: AsyncSession,
    settings: Settings,
    sink_port: int,
    mail_dir: Path,
    dev_client: httpx.AsyncClient,
) -> None:
    verify_url = f"https://app.manabi.example/verify?token={uuid.uuid4().hex}"
    email = await enqueue_email(
        session,
        to_address="hanako@example.jp",
        template="registration_complete",
        context={"name": "佐藤 花子", "verify_url": verify_url, "expires_at": "11月25日"},
        now=T0,
    )
    mail_settings = settings.model_copy(update={"smtp_port": sink_port})
    result = await deliver_email(session, email.id, settings=mail_settings, now=T0)
    assert result.outcome is DeliveryOutcome.sent

    files = _eml_files(mail_dir)
    assert len(files) == 1
    assert "hanako@example.jp" in files[0].name

    listing = await dev_client.get("/dev/mails")
    assert listing.status_code == 200
    body = listing.json()
    assert body["next_cursor"] is None
    [item] = body["items"]
    assert item["to"] == "hanako@example.jp"
    assert item["subject"] == "【学びオンライン】会員登録完了のお知らせ"
    assert item["name"] == files[0].name

    detail = await dev_client.get(f"/dev/mails/{item['name']}")
    assert detail.status_code == 200
    mail = detail.json()
    assert "佐藤 花子 様" in mail["text"]
    assert verify_url in mail["links"]


async def test_dev_mails_newest_first_with_cursor(
    mail_dir: Path, dev_client: httpx.AsyncClient
) -> None:
    _write_three_mails(mail_dir)

    first = (await dev_client.get("/dev/mails", params={"limit": 2})).json()
    assert [i["to"] for i in first["items"]] == ["m2@example.jp", "m1@example.jp"]
    assert first["items"][0]["subject"] == "件名"
    second = (
        await dev_client.get("/dev/mails", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [i["to"] for i in second["items"]] == ["m0@example.jp"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    "name", ["..%2F..%2Fetc%2Fpasswd", "..%2Fsecret.eml", ".hidden.eml", "nothere.eml", "x.txt"]
)
async def test_dev_mail_names_cannot_escape_the_directory(
    mail_dir: Path, dev_client: httpx.AsyncClient, name: str
) -> None:
    _write_secret_next_to(mail_dir)
    response = await dev_client.get(f"/dev/mails/{name}")
    assert response.status_code == 404


async def test_dev_mails_empty_when_no_directory(
    dev_client: httpx.AsyncClient, mail_dir: Path
) -> None:
    response = await dev_client.get("/dev/mails")
    assert response.json() == {"items": [], "next_cursor": None}
