"""Evidence files for the demo case, made in code: a GBK chat export from the wallet's
online support, the company's reply email (GB2312, RFC 2047 subject) and a screenshot of
the freeze notice. They exercise the same readers real files do."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from email.header import Header
from email.mime.text import MIMEText
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont

TZ = ZoneInfo("Asia/Shanghai")
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


def chat_export(start: datetime) -> bytes:
    """The online-chat transcript, as a WhatsApp-style export saved in GBK."""
    lines = [
        (0, "我", "你好，我的账户 5000 USDT 充值后被冻结了，无法提现，请尽快处理。"),
        (1, "客服 Amy", "您好，您的账户触发了安全风控，需要提交资料审核。"),
        (3, "我", "资料三天前已经全部提交，工单号 SLW-240305-0042。什么时候能解冻？"),
        (5, "客服 Amy", "已为您提交加急处理，预计 48 小时内回复。"),
        (6, "我", "请给我书面说明冻结的依据。"),
        (8, "客服 Amy", "抱歉，冻结原因属于风控机密，无法提供书面说明。"),
    ]
    text = "\r\n".join(
        f"{(start + timedelta(minutes=m)).strftime('%d/%m/%Y, %H:%M')} - {who}: {what}"
        for m, who, what in lines
    )
    return text.encode("gbk")


def reply_email(sent: datetime) -> bytes:
    """The company's template reply, as its mail server sent it."""
    message = MIMEText(
        "尊敬的用户：\n\n您的账户仍在审核中，审核结果将另行通知。感谢您的耐心等待。\n\n"
        "星链钱包 合规团队\n",
        "plain",
        "gb2312",
    )
    message["Subject"] = Header("关于工单 SLW-240316-0317 的处理进度", "gb2312").encode()
    message["From"] = "StarLink Wallet Compliance <compliance@starlink-wallet.example>"
    message["To"] = "demo@caseapp.test"
    message["Date"] = format_datetime(sent.astimezone(TZ))
    message["Message-ID"] = "<20240325.0317@starlink-wallet.example>"
    return message.as_bytes()


def freeze_screenshot() -> bytes:
    """A phone screenshot of the freeze notice."""
    image = Image.new("RGB", (540, 960), "#f4f6fa")
    draw = ImageDraw.Draw(image)
    font_path = next((p for p in FONT_CANDIDATES if Path(p).exists()), None)

    def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        return ImageFont.truetype(font_path, size) if font_path else ImageFont.load_default()

    draw.rectangle((0, 0, 540, 120), fill="#1f3b73")
    draw.text((30, 45), "StarLink Wallet 星链钱包", fill="white", font=font(30))
    draw.rounded_rectangle((30, 180, 510, 560), radius=24, fill="white", outline="#d0d5dd")
    draw.text((60, 220), "账户已冻结", fill="#b42318", font=font(40))
    draw.text((60, 300), "您的账户触发安全风控，", fill="#344054", font=font(26))
    draw.text((60, 345), "资产暂时无法转出。", fill="#344054", font=font(26))
    draw.text((60, 420), "冻结资产：5,000.00 USDT", fill="#101828", font=font(28))
    draw.text((60, 480), "如有疑问请联系在线客服", fill="#667085", font=font(22))
    output = io.BytesIO()
    image.save(output, "PNG")
    return output.getvalue()
