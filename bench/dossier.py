"""Benchmark: export a 200-item dossier (emails, chat logs, photos, PDFs), signed and stamped.

Builds a realistic case in a temporary folder (photos of several megapixels made from the
sample photos, phone screenshots of 1170 × 2532 and long ones of 1170 × 9000, each shown
from its original at print resolution, chat transcripts of a few hundred lines, emails,
sample PDFs with page previews), then times render + embed + sign in this process and
reports the peak RSS.

    .venv/bin/python bench/dossier.py

Last lines: FIGURE dossier_200_seconds, FIGURE dossier_200_peak_rss, FIGURE dossier_200_pdf_size.
"""

from __future__ import annotations

import hashlib
import io
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdfium2
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from caseapp.export.context import (  # noqa: E402
    CaseInfo,
    CustodyInfo,
    DossierContext,
    EventInfo,
    EvidenceInfo,
    ImageRef,
)
from caseapp.export.pipeline import produce_bundle, produce_dossier  # noqa: E402
from caseapp.export.signing import Signer, create_signing_identity  # noqa: E402

SAMPLES = ROOT.parent / "shared" / "samples"
ITEMS = 200
START = datetime(2025, 1, 6, 1, 0, tzinfo=UTC)
PHRASES = [
    "您好，请问我的提币为什么一直显示处理中？",
    "客服承诺三个工作日内解冻资产，请耐心等待。",
    "我们已将您的问题提交给风控部门审核。",
    "请提供身份证正反面照片和手持证件照。",
    "The withdrawal of 2,000 USDT is still pending after 72 hours.",
    "Your account is under review for compliance reasons.",
    "已经第五次联系了，还是没有任何进展。",
    "工单号 TKT-{n:06d}，请保存好以便查询。",
]


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _opener(path: Path):
    return lambda: path.open("rb")


def _photo(base: Image.Image, rng: random.Random) -> bytes:
    width, height = base.size
    left, top = rng.randrange(0, width // 8), rng.randrange(0, height // 8)
    crop = base.crop((left, top, left + width * 7 // 8, top + height * 7 // 8))
    crop = ImageEnhance.Brightness(crop).enhance(rng.uniform(0.8, 1.2))
    if rng.random() < 0.3:
        crop = ImageOps.mirror(crop)
    out = io.BytesIO()
    crop.save(out, "JPEG", quality=88)
    return out.getvalue()


def _screenshot(height: int, seed: int) -> bytes:
    """A phone chat screenshot (1170 px wide PNG): flat colours, bubbles and lines of text."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    picture = Image.new("RGB", (1170, height), (237, 237, 237))
    draw = ImageDraw.Draw(picture)
    top = 160
    while top < height - 200:
        mine = rng.random() < 0.5
        width, lines = rng.randrange(400, 900), rng.randrange(1, 5)
        left = 1170 - 60 - width if mine else 60
        bottom = top + 40 + 52 * lines
        draw.rounded_rectangle((left, top, left + width, bottom), 24,
                               fill=(149, 236, 105) if mine else (255, 255, 255))
        for line in range(lines):
            draw.text((left + 30, top + 24 + 52 * line),
                      rng.choice(PHRASES[4:6]).format(n=seed)[: width // 14], fill=(20, 20, 20),
                      font_size=36)
        top = bottom + 40
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def _preview(pdf: bytes) -> bytes:
    document = pypdfium2.PdfDocument(pdf)
    try:
        out = io.BytesIO()
        document[0].render(scale=1.5).to_pil().save(out, "PNG")
        return out.getvalue()
    finally:
        document.close()


def _transcript(rng: random.Random, start: datetime, lines: int) -> list[dict[str, str]]:
    return [
        {
            "at": (start + timedelta(minutes=3 * i)).isoformat(),
            "sender": "张伟" if i % 2 == 0 else "客服小李",
            "text": rng.choice(PHRASES).format(n=i),
        }
        for i in range(lines)
    ]


def build_context(folder: Path) -> DossierContext:
    """A 200-item case whose originals live as files in `folder`."""
    rng = random.Random(200)  # noqa: S311 - reproducible test data, not secrets
    photos = [Image.open(SAMPLES / "images" / n).convert("RGB")
              for n in ("iphone_hdr_YES.jpg", "67-0_length_string.jpg")]
    pdfs = [(SAMPLES / "pdf" / n).read_bytes()
            for n in ("crazyones.pdf", "multilang.pdf", "Seige_of_Vicksburg_Sample_OCR.pdf",
                      "attachment.pdf")]
    previews = [_preview(p) for p in pdfs]
    screenshots = [(_screenshot(2532, 1), 2532), (_screenshot(9000, 2), 9000)]
    evidence = []
    for number in range(1, ITEMS + 1):
        when = START + timedelta(hours=7 * number)
        slot = number % 10
        extra: dict[str, object] = {}
        if slot == 1 or (slot == 2 and number % 20 == 12):  # phone screenshots, some long
            data, height = screenshots[0] if slot == 1 else screenshots[1]
            name, media, kind = f"截图-{number}.png", "image/png", "image"
            path = folder / f"{number}.bin"
            path.write_bytes(data)
            extra["images"] = [ImageRef("image/png", path.read_bytes, width=1170, height=height)]
            extra["parsed"] = {"width": 1170, "height": height, "format": "PNG"}
        elif slot in (0, 2):  # photos: with the screenshots, 30% of the items are images
            data, name, media, kind = _photo(photos[number % 2], rng), f"照片-{number}.jpg", \
                "image/jpeg", "image"
            path = folder / f"{number}.bin"
            path.write_bytes(data)
            extra["images"] = [ImageRef("image/jpeg", path.read_bytes)]
            extra["parsed"] = {"width": 2856, "height": 2142}
        elif slot in (3, 4, 5):  # chat logs: 30%
            transcript = _transcript(rng, when, rng.randrange(200, 400))
            data = "\n".join(f"{m['at']} - {m['sender']}: {m['text']}" for m in transcript).encode()
            name, media, kind = f"在线客服聊天记录-{number}.txt", "text/plain", "chat"
            extra["transcript"] = transcript
            extra["parsed"] = {"platform": "whatsapp", "participants": ["张伟", "客服小李"],
                               "message_count": len(transcript)}
        elif slot in (6, 7, 8):  # emails: 30%
            body = "\n\n".join(rng.choice(PHRASES).format(n=number) for _ in range(25))
            data = (f"Subject: 关于工单 {number} 的回复\nFrom: support@example-wallet.com\n"
                    f"To: zhang.wei@example.cn\n\n{body}\n").encode()
            name, media, kind = f"客服邮件-{number}.eml", "message/rfc822", "email"
            extra["text"] = body
            extra["parsed"] = {"subject": f"关于工单 {number} 的回复",
                               "from": "support@example-wallet.com", "to": "zhang.wei@example.cn"}
        else:  # PDFs: 10%
            data = pdfs[number % 4]
            name, media, kind = f"交易记录-{number}.pdf", "application/pdf", "pdf"
            extra["images"] = [ImageRef("image/png", previews[number % 4], "第 1 页")]
            extra["parsed"] = {"pages": 1}
        path = folder / f"{number}.bin"
        path.write_bytes(data)
        evidence.append(EvidenceInfo(
            number=number, id=f"ev{number:04d}", name=name, media_type=media, kind=kind,
            size=len(data), received_at=when, sha256=hashlib.sha256(data).hexdigest(),
            original=_opener(path), **extra,  # type: ignore[arg-type]
        ))
    custody = [
        CustodyInfo(seq=i + 1, at=START + timedelta(hours=7 * i), actor="张伟",
                    action="evidence.added", subject=f"ev{i + 1:04d}", details={},
                    hash=hashlib.sha256(str(i).encode()).hexdigest())
        for i in range(ITEMS)
    ]
    events = [
        EventInfo(occurred_at=START + timedelta(days=i), channel_label="在线客服",
                  direction_label="我方联系", reference=f"TKT-{i:06d}", representative="客服小李",
                  summary="客服承诺三个工作日内解冻资产", outcome="未兑现")
        for i in range(40)
    ]
    return DossierContext(
        dossier_id="bench-200", lang="zh", recipient="financial_regulator",
        generated_at=datetime.now(UTC), timezone="Asia/Shanghai",
        case=CaseInfo(id="case-bench", title="钱包资产被冻结（200 项证据）",
                      counterparty="示例钱包有限公司", category_label="资产冻结",
                      amount="12,500.00", currency="USDT", incident_at=START,
                      desired_outcome="立即解冻账户资产。", description="账户在提币后被冻结。",
                      status_label="处理中", complainant_name="张伟",
                      complainant_email="zhang.wei@example.cn"),
        events=events, evidence=evidence, custody=custody, custody_head=custody[-1].hash,
    )


def main() -> None:
    """Build the case, export it, print the figures."""
    with tempfile.TemporaryDirectory(prefix="caseapp-bench-") as tmp:
        folder = Path(tmp)
        create_signing_identity(folder / "keys", "bench instance")
        signer = Signer(folder / "keys")
        (folder / "originals").mkdir()
        ctx = build_context(folder / "originals")
        originals = sum(item.size for item in ctx.evidence)
        print(f"case: {len(ctx.evidence)} items, originals {originals / 2**20:.1f} MiB")
        print(f"rss before export: {_rss_mib():.0f} MiB")
        started = time.perf_counter()
        dossier = produce_dossier(ctx, signer)
        seconds = time.perf_counter() - started
        peak = _rss_mib()
        bundle_started = time.perf_counter()
        with (folder / "bundle.zip").open("wb") as out:
            produce_bundle(out, dossier, ctx, signer)
        bundle_seconds = time.perf_counter() - bundle_started
        print(f"render + embed + sign: {seconds:.1f} s; bundle: {bundle_seconds:.1f} s, "
              f"{(folder / 'bundle.zip').stat().st_size / 2**20:.1f} MiB")
        print(f"FIGURE dossier_200_seconds {seconds:.1f} s")
        print(f"FIGURE dossier_200_peak_rss {peak:.0f} MiB")
        print(f"FIGURE dossier_200_pdf_size {len(dossier.pdf) / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
