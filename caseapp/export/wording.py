"""How a dossier names its time stamp, honestly.

In China "可信时间戳" (trusted time stamp) means one from an accredited authority (a national
time service centre's TSA). A dossier uses that term only when every authority that may stamp
it is declared accredited by the operator (`tsa_accredited`); otherwise it says who issued
the stamp, and the verification page says what a time stamp does and does not prove.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TimestampWording:
    """Who stamps the dossier, as the signer knows before rendering it."""

    accredited: bool = False
    own: bool = True
    authority: str = ""

    def term(self, lang: str) -> str:
        """The words for "the time stamp" in the letter and on the verification page."""
        if self.accredited:
            if lang == "zh":
                return "可信时间戳"
            return "trusted time stamp from an accredited authority"
        if self.own:
            return (
                "时间戳（由本实例的时间戳服务签发）"
                if lang == "zh"
                else "time stamp issued by this instance's own time stamping service"
            )
        return (
            f"时间戳（由时间戳服务 {self.authority} 签发）"
            if lang == "zh"
            else f"time stamp issued by the time stamping service {self.authority}"
        )

    def note(self, lang: str) -> str:
        """One sentence on what the time stamp proves and what it does not."""
        if lang == "zh":
            proves = "时间戳证明本文件在所示时间已经存在且此后未被改动，但不证明文件内容本身属实。"
            if self.accredited:
                return proves + "该时间戳由运营者声明为经认证的时间戳服务机构签发。"
            if self.own:
                return proves + (
                    "该时间戳由出具本材料的系统自行签发，时间来自该系统的时钟，"
                    "并非经认证的第三方时间证明。"
                )
            return proves + "签发该时间戳的服务未被声明为经认证的时间戳服务机构。"
        proves = (
            "A time stamp shows that this document existed in this form at the time shown and "
            "has not changed since; it does not show that its content is true."
        )
        if self.accredited:
            return proves + " The operator declares the issuing authority accredited."
        if self.own:
            return proves + (
                " It was issued by the system that produced this dossier, from that system's "
                "clock; it is not a time attestation by an accredited third party."
            )
        return proves + " The issuing service is not declared accredited."
