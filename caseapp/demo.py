"""`caseapp demo`: a complainant, an advocate and a realistic case, in Chinese.

The case follows a pattern common in real complaints about crypto-wallet support:
assets frozen after a transfer, a hotline that promises callbacks, an online chat
that loops, emails answered by templates, a FAQ and a community forum that lead
nowhere.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import click
from flask.cli import with_appcontext

from caseapp import demo_evidence
from caseapp.accounts import service as accounts
from caseapp.accounts.models import User
from caseapp.cases import service as cases
from caseapp.database import utcnow
from caseapp.evidence import ingest
from caseapp.extensions import db
from caseapp.runtime import runtime
from caseapp.shares import offers
from caseapp.shares import service as shares

DEMO_COMPLAINANT = ("demo@caseapp.test", "demo-password-2024", "李明")
DEMO_ADVOCATE = ("advocate@caseapp.test", "advocate-password-2024", "王律师（消费者协会）")
TZ = "Asia/Shanghai"

CASE: dict[str, Any] = {
    "title": "钱包冻结 5,000 USDT，客服一直不给解冻",
    "counterparty": "星链钱包（StarLink Wallet）",
    "category": "assets_frozen",
    "amount": "5000",
    "currency": "USDT",
    "incident_at": "2024-03-04T21:15",
    "desired_outcome": "立即解冻全部 5,000 USDT 并允许提现；书面说明冻结原因；赔偿因冻结造成的损失。",
    "description": (
        "事发当晚，我从交易所向星链钱包转入 5,000 USDT（TRC20），到账后账户被“风控冻结”，"
        "无法转出。客服热线、在线客服、邮件和社区论坛都联系过，每次都说“三个工作日内处理”，"
        "至今没有任何结果，也没有说明冻结依据。"
    ),
}

# (days after the incident, hour, channel, direction, reference, representative, summary,
#  outcome, follow-up days after the contact or None)
CONTACTS: list[tuple[int, str, str, str, str, str, str, str, int | None]] = [
    (
        0,
        "21:40",
        "online_chat",
        "outbound",
        "CHAT-88213",
        "机器人客服“小星”",
        "在线客服只回复标准话术：“您的账户触发了安全风控，请耐心等待。”要求转人工三次均被转回机器人。",
        "没有人工客服接入。",
        None,
    ),
    (
        1,
        "09:12",
        "hotline",
        "outbound",
        "",
        "工号 1037",
        "拨打客服热线 400-800-1234，等待 26 分钟后接通。客服确认账户被冻结，承诺“三个工作日内由风控部门回电”。",
        "对方承诺 3 个工作日内回电。",
        3,
    ),
    (
        1,
        "10:05",
        "email",
        "outbound",
        "",
        "support@starlink-wallet.example",
        "发送邮件说明情况，附上交易哈希和充值截图，要求说明冻结原因并解冻。",
        "收到自动回复，工单号 SLW-240305-0042。",
        None,
    ),
    (
        2,
        "16:30",
        "email",
        "inbound",
        "SLW-240305-0042",
        "风控专员 Kevin",
        "对方邮件要求提供身份证正反面、手持身份证照片、资金来源说明。",
        "当天全部提交。",
        5,
    ),
    (
        4,
        "11:00",
        "hotline",
        "outbound",
        "SLW-240305-0042",
        "工号 2210",
        "三个工作日已过，没有回电。再次致电，客服称“风控部门正在审核，请再等三个工作日”，拒绝提供书面说明。",
        "再次承诺 3 个工作日。",
        3,
    ),
    (
        6,
        "20:10",
        "faq",
        "outbound",
        "",
        "",
        "按客服建议查看帮助中心 FAQ《账户被冻结怎么办》，内容只有“请联系客服”，没有审核时限。",
        "FAQ 页面已截图保存。",
        None,
    ),
    (
        8,
        "14:20",
        "online_chat",
        "outbound",
        "CHAT-90551",
        "人工客服 Amy",
        "终于接通人工客服。Amy 称冻结原因是“充值来源地址存在风险”，但无法说明是什么风险，承诺提交加急处理。",
        "承诺加急，48 小时内回复。",
        2,
    ),
    (
        10,
        "09:30",
        "community_forum",
        "outbound",
        "帖子 #44120",
        "社区版主",
        "在官方社区论坛发帖求助，很多用户回复有相同遭遇。版主回复“已私信转交客服”，随后帖子被隐藏。",
        "帖子被隐藏，已截图。",
        None,
    ),
    (
        12,
        "10:45",
        "ticket",
        "outbound",
        "SLW-240316-0317",
        "",
        "通过 App 内工单系统提交正式投诉，要求 7 日内书面答复冻结依据及解冻时间。",
        "工单状态一直显示“处理中”。",
        7,
    ),
    (
        15,
        "15:05",
        "hotline",
        "outbound",
        "SLW-240316-0317",
        "客服主管 陈经理",
        "要求升级到主管。陈经理称“需要总部合规审核，时间无法确定”，拒绝给出书面答复。",
        "明确告知将向消费者协会和金融监管部门投诉。",
        None,
    ),
    (
        16,
        "18:00",
        "social_media",
        "outbound",
        "",
        "官方微博",
        "在官方微博下留言并私信，说明已等待两周，要求给出处理时限。",
        "官方账号回复“已转交相关部门”。",
        None,
    ),
    (
        20,
        "09:00",
        "email",
        "inbound",
        "SLW-240316-0317",
        "合规团队",
        "收到模板邮件：“您的账户仍在审核中，审核结果将另行通知。”未说明依据和期限。",
        "准备向 12315 和监管部门投诉。",
        7,
    ),
]


def _ensure_user(email: str, password: str, name: str, role: str) -> tuple[User, bool]:
    existing = accounts.find_user(db.session, email)
    if existing is not None:
        return existing, False
    user = accounts.create_user(
        db.session,
        runtime().passwords,
        email=email,
        password=password,
        role=role,
        display_name=name,
        locale="zh_CN",
        timezone=TZ,
    )
    return user, True


def load_demo(now: datetime | None = None) -> tuple[User, User, bool]:
    """Create the demo accounts and case unless they exist; returns whether anything was added."""
    complainant, new_complainant = _ensure_user(*DEMO_COMPLAINANT, role="user")
    advocate, new_advocate = _ensure_user(*DEMO_ADVOCATE, role="advocate")
    if not new_complainant:
        db.session.commit()
        return complainant, advocate, new_advocate
    head_key = runtime().head_key
    incident = datetime.fromisoformat(CASE["incident_at"])
    # Keep the story recent so follow-ups show on the dashboard.
    shift = (now or utcnow()).replace(tzinfo=None) - timedelta(days=21) - incident
    shift = timedelta(days=shift.days)
    data = dict(CASE, incident_at=(incident + shift).isoformat())
    case = cases.open_case(db.session, head_key, complainant, data, TZ)
    for days, hour, channel, direction, ref, rep, summary, outcome, follow in CONTACTS:
        at = datetime.fromisoformat(f"{incident.date()}T{hour}") + timedelta(days=days) + shift
        cases.log_contact(
            db.session,
            head_key,
            complainant,
            case,
            {
                "occurred_at": at.isoformat(),
                "channel": channel,
                "direction": direction,
                "reference": ref,
                "representative": rep,
                "summary": summary,
                "outcome": outcome,
                "follow_up_at": (at + timedelta(days=follow)).isoformat() if follow else None,
            },
            TZ,
        )
    cases.change_case(db.session, head_key, complainant, case, {"status": "waiting_on_company"}, TZ)
    db.session.commit()
    _add_evidence(case, complainant, incident + shift)
    _share_with_advocate(case, complainant, advocate)
    return complainant, advocate, True


def _share_with_advocate(case: Any, complainant: User, advocate: User) -> None:
    # The demo advocate has accepted the offer, so their login shows a shared case: the
    # whole of it, the attachments read out of the demo email after this point included.
    head_key = runtime().head_key
    offer = shares.create_share(
        db.session,
        head_key,
        complainant,
        case,
        {"advocate_email": advocate.email, "label": "消费者协会 王律师", "include_later": True},
        TZ,
    ).share
    offers.accept_offer(db.session, head_key, advocate, offer)
    db.session.commit()


def _add_evidence(case: Any, complainant: User, incident: datetime) -> None:
    chat_at = incident.replace(hour=14, minute=20) + timedelta(days=8)
    files = [
        (
            "在线客服聊天记录.txt",
            demo_evidence.chat_export(chat_at),
            {
                "description": "与人工客服 Amy 的聊天记录（App 导出，GBK 编码）",
                "source": "星链钱包 App 在线客服导出",
            },
        ),
        (
            "冻结通知截图.png",
            demo_evidence.freeze_screenshot(),
            {"description": "App 内的冻结通知", "source": "手机截图"},
        ),
        (
            "合规团队回复.eml",
            demo_evidence.reply_email(
                (incident + timedelta(days=20, hours=9)).replace(tzinfo=ZoneInfo(TZ))
            ),
            {"description": "合规团队的模板回复邮件", "source": "邮箱导出"},
        ),
    ]
    for name, data, values in files:
        ingest.add_file(db.session, runtime(), case, complainant, name, data, values)


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Add a demo complainant, a demo advocate and a realistic case; print their logins."""
    _, _, added = load_demo()
    # Read the demo evidence now, so the case looks complete on first login.
    runtime().jobs.drain(["reading"])
    click.echo("demo data " + ("loaded" if added else "already present"))
    click.echo(f"  complainant: {DEMO_COMPLAINANT[0]}  password: {DEMO_COMPLAINANT[1]}")
    click.echo(f"  advocate:    {DEMO_ADVOCATE[0]}  password: {DEMO_ADVOCATE[1]}")
    settings = runtime().settings
    if "advocate" in settings.two_factor_required_roles:
        # The instance's own rule, not a demo exception: a demo shows it as it is.
        if settings.two_factor_enforce_enrolment:
            click.echo(
                "  (advocates must use two-factor authentication here: on first login the"
                " advocate is asked to scan a QR code with an authenticator app)"
            )
        else:
            click.echo(
                "  (advocates are asked on every page to set up two-factor authentication,"
                " and keep it on once they have)"
            )
