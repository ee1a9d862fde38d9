"""Shared fixtures for the dossier export tests: a Chinese sample case and a signing identity."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdfium2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caseapp.custody.chain import GENESIS_HASH, HeadKey, canonical_json, entry_hash
from caseapp.custody.document import LoggedEntry, SignedHead, build_document, document_bytes
from caseapp.export.context import (
    CaseInfo,
    CustodyInfo,
    DossierContext,
    EventInfo,
    EvidenceInfo,
    ImageRef,
)
from caseapp.export.pipeline import SignedDossier, produce_bundle, produce_dossier
from caseapp.export.signing import Signer, create_signing_identity

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
GENERATED_AT = datetime(2025, 3, 14, 6, 30, tzinfo=UTC)


def _opener(data: bytes) -> Callable[[], io.BytesIO]:
    return lambda: io.BytesIO(data)


def _first_page_png(data: bytes) -> bytes:
    document = pypdfium2.PdfDocument(data)
    try:
        bitmap = document[0].render(scale=1.0)
        out = io.BytesIO()
        bitmap.to_pil().save(out, "PNG")
        return out.getvalue()
    finally:
        document.close()


def evidence_item(number: int, path: Path, **fields: object) -> EvidenceInfo:
    """An evidence item whose original is a real sample file."""
    data = path.read_bytes()
    defaults: dict[str, object] = {
        "number": number,
        "id": f"ev{number:04d}",
        "name": path.name,
        "media_type": "application/octet-stream",
        "kind": "other",
        "size": len(data),
        "received_at": GENERATED_AT - timedelta(days=10 - number),
        "sha256": hashlib.sha256(data).hexdigest(),
        "original": _opener(data),
    }
    defaults.update(fields)
    return EvidenceInfo(**defaults)  # type: ignore[arg-type]


def sample_evidence() -> list[EvidenceInfo]:
    """Four real sample files: a Chinese email, a chat log, a photo and a PDF."""
    email_path = SAMPLES / "email" / "chinese_email_test.eml"
    chat_path = SAMPLES / "chat" / "whatsapp" / "test_yyyymmdd_24hrs.txt"
    image_path = SAMPLES / "images" / "hopper_orientation_6.jpg"
    pdf_path = SAMPLES / "pdf" / "crazyones.pdf"
    pdf_data = pdf_path.read_bytes()
    return [
        evidence_item(
            1, email_path, name="客服回复邮件.eml", media_type="message/rfc822", kind="email",
            parsed={"subject": "关于您的账户冻结问题", "from": "support@example-wallet.com",
                    "to": "zhang.wei@example.cn", "date": "2025-03-01T10:00:00+08:00"},
            text="尊敬的用户：\n您的资产已被临时冻结，我们将在三个工作日内完成审核。",
            html="<p>尊敬的用户：</p><p>您的资产已被<b>临时冻结</b>，我们将在三个工作日内完成审核。</p>"
                 '<img src="https://tracker.example.com/pixel.gif" alt="">',
        ),
        evidence_item(
            2, chat_path, name="在线客服聊天记录.txt", media_type="text/plain", kind="chat",
            parsed={"platform": "whatsapp", "participants": ["张伟", "客服小李"],
                    "message_count": 3},
            transcript=[
                {"at": "2025-03-02T09:15:00+08:00", "sender": "张伟",
                 "text": "我的USDT什么时候能解冻？"},
                {"at": "2025-03-02T09:16:30+08:00", "sender": "客服小李",
                 "text": "客服承诺三个工作日内解冻资产，请耐心等待。"},
                {"at": "2025-03-02T09:17:00+08:00", "sender": "张伟",
                 "text": "<script>alert(1)</script> 好的"},
            ],
        ),
        evidence_item(
            3, image_path, name="冻结截图.jpg", media_type="image/jpeg", kind="image",
            parsed={"width": 128, "height": 128},
            images=[ImageRef("image/jpeg", image_path.read_bytes(), "账户冻结提示截图")],
        ),
        evidence_item(
            4, pdf_path, name="交易记录.pdf", media_type="application/pdf", kind="pdf",
            parsed={"pages": 1}, parent_number=1,
            images=[ImageRef("image/png", lambda: _first_page_png(pdf_data), "第 1 页")],
        ),
    ]


def make_context(
    lang: str = "zh",
    recipient: str = "consumer_association",
    evidence: list[EvidenceInfo] | None = None,
) -> DossierContext:
    """A realistic Chinese case: frozen assets at a crypto wallet."""
    case = CaseInfo(
        id="case-7f3a",
        title="钱包资产被冻结，客服迟迟不解冻",
        counterparty="示例钱包有限公司 (Example Wallet Ltd.)",
        category_label="资产冻结" if lang == "zh" else "Assets frozen",
        amount="12,500.00",
        currency="USDT",
        incident_at=datetime(2025, 2, 27, 2, 0, tzinfo=UTC),
        desired_outcome="立即解冻账户资产，并书面说明冻结原因。",
        description="2025年2月27日，我的钱包账户在一次正常提币后被冻结，\n客服多次承诺解冻但没有兑现。",
        status_label="处理中" if lang == "zh" else "Open",
        complainant_name="张伟",
        complainant_email="zhang.wei@example.cn",
    )
    events = [
        EventInfo(
            occurred_at=datetime(2025, 3, 2, 1, 15, tzinfo=UTC),
            channel_label="在线客服" if lang == "zh" else "Online chat",
            direction_label="我方联系" if lang == "zh" else "Outgoing",
            reference="TKT-20250302-0091",
            representative="客服小李",
            summary="客服承诺三个工作日内解冻资产",
            outcome="未兑现",
            follow_up_at=datetime(2025, 3, 5, 1, 0, tzinfo=UTC),
        ),
        EventInfo(
            occurred_at=datetime(2025, 3, 6, 7, 40, tzinfo=UTC),
            channel_label="电子邮件" if lang == "zh" else "Email",
            direction_label="对方联系" if lang == "zh" else "Incoming",
            reference=None,
            representative=None,
            summary="回复称仍在审核，<b>无具体时间</b>",
        ),
    ]
    custody: list[CustodyInfo] = []
    for i, (action, subject) in enumerate([
        ("case.created", "case-7f3a"), ("evidence.added", "ev0001"),
        ("evidence.added", "ev0002"), ("contact.logged", "TKT-20250302-0091"),
    ]):
        at = GENERATED_AT - timedelta(days=9 - i)
        details = {"sha256": "ab" * 32} if action == "evidence.added" else {}
        digest = entry_hash(
            case_id=case.id, seq=i + 1, at=at, actor="张伟", action=action, subject=subject,
            details_json=canonical_json(details),
            prev_hash=custody[-1].hash if custody else GENESIS_HASH,
        )
        custody.append(CustodyInfo(seq=i + 1, at=at, actor="张伟", action=action,
                                   subject=subject, details=details, hash=digest))
    return DossierContext(
        dossier_id="dos-0001-2025",
        lang=lang,  # type: ignore[arg-type]
        recipient=recipient,  # type: ignore[arg-type]
        generated_at=GENERATED_AT,
        timezone="Asia/Shanghai",
        case=case,
        events=events,
        evidence=sample_evidence() if evidence is None else evidence,
        custody=custody,
        custody_head=custody[-1].hash,
    )


def custody_json(ctx: DossierContext, head_key: HeadKey) -> bytes:
    """The custody.json a bundle of `ctx` carries: its log, chained, with a signed head."""
    rows = [
        LoggedEntry(ctx.case.id, e.seq, e.at, e.actor, e.action, e.subject,
                     canonical_json(e.details), ctx.custody[i - 1].hash if i else GENESIS_HASH,
                     e.hash)
        for i, e in enumerate(ctx.custody)
    ]
    head = (
        SignedHead(rows[-1].seq, rows[-1].hash,
                    head_key.sign(ctx.case.id, rows[-1].seq, rows[-1].hash))
        if rows else None
    )
    return document_bytes(build_document(ctx.case.id, rows, head, head_key.public_pem()))


@pytest.fixture(scope="session")
def head_key() -> HeadKey:
    """The test instance's custody head key."""
    return HeadKey(Ed25519PrivateKey.generate())


@pytest.fixture(scope="session")
def make_bundle(head_key: HeadKey) -> Callable[..., bytes]:
    """Bundle a signed dossier of a context as the app does, custody log included."""

    def make(dossier: SignedDossier, ctx: DossierContext, signer: Signer) -> bytes:
        out = io.BytesIO()
        produce_bundle(out, dossier, ctx, signer, custody_json(ctx, head_key))
        return out.getvalue()

    return make


@pytest.fixture
def zh_context() -> DossierContext:
    """The sample case as a Chinese dossier for the consumer association."""
    return make_context()


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An instance keys folder with a signing identity, made once per test session."""
    path = tmp_path_factory.mktemp("keys")
    create_signing_identity(path, "caseapp test instance")
    return path


@pytest.fixture(scope="session")
def context_factory() -> Callable[..., DossierContext]:
    """Build the sample case in another language, for another recipient or other evidence."""
    return make_context


@pytest.fixture
def sample_file() -> Callable[[str], Path]:
    """The path of a real sample file under /work/shared/samples."""
    return lambda relative: SAMPLES / relative


@pytest.fixture(scope="session")
def signer(keys_dir: Path) -> Signer:
    """The test instance's signer, with its own local time stamping authority."""
    return Signer(keys_dir)


@pytest.fixture(scope="session")
def signed_dossier(signer: Signer) -> bytes:
    """The sample case rendered and signed once per session (rendering takes a second or two)."""
    return produce_dossier(make_context(), signer).pdf


@pytest.fixture(scope="session")
def trusted_certs(keys_dir: Path) -> list[bytes]:
    """The instance certificates `caseapp verify` trusts when run beside the instance."""
    return [(keys_dir / "ca.crt").read_bytes()]
