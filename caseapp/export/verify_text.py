"""VERIFY.txt: how to check a bundle with standard tools, in Chinese and in English.

Every command line starts with "$ " and runs as written from the folder the bundle was
unzipped into (no `cd`), so a reader can follow it literally and a test can run exactly those
lines. The certificates in the bundle only let the commands run; the text says where trust
has to come from instead: the CA fingerprint confirmed through another channel.
"""

from __future__ import annotations

from collections.abc import Mapping

from caseapp.export.signing import certificate_fingerprint
from caseapp.export.trust import UnreadableCertificate, load_certificates

SUMS_ENTRY = "SHA256SUMS"
CUSTODY_ENTRY = "custody.json"
COMMAND_PREFIX = "$ "

_SUMS_AGREE = (
    "python3 -c 'import json; m = json.load(open(\"manifest.json\", encoding=\"utf-8\")); "
    "s = {l[66:].rstrip(\"\\n\"): l[:64] for l in open(\"SHA256SUMS\", encoding=\"utf-8\")}; "
    "bad = [e[\"attachment\"] for e in m[\"evidence\"] "
    "if s.get(\"originals/\" + e[\"attachment\"]) != e[\"sha256\"].lower()]; "
    "print(\"FAILED: \" + \", \".join(bad) if bad else "
    "\"OK: SHA256SUMS agrees with manifest.json\"); "
    "raise SystemExit(1 if bad else 0)'"
)
_CUSTODY_CHAIN = (
    "python3 -c 'import json, hashlib; d = json.load(open(\"custody.json\", encoding=\"utf-8\")); "
    "m = json.load(open(\"manifest.json\", encoding=\"utf-8\")); es = d[\"entries\"]; "
    "F = lambda s: len(s.encode()).to_bytes(8, \"big\") + s.encode(); "
    "H = lambda e: hashlib.sha256(b\"caseapp-custody-v1\" + b\"\".join(F(x) for x in ("
    "d[\"case_id\"], str(e[\"seq\"]), e[\"at\"], e[\"actor\"], e[\"action\"], e[\"subject\"], "
    "json.dumps(e[\"details\"], sort_keys=True, separators=(\",\", \":\"), ensure_ascii=False), "
    "e[\"prev_hash\"]))).hexdigest(); "
    "bad = [e[\"seq\"] for i, e in enumerate(es) if e[\"seq\"] != i + 1 or H(e) != e[\"hash\"] "
    "or e[\"prev_hash\"] != (es[i - 1][\"hash\"] if i else \"0\" * 64)]; "
    "head = es[-1][\"hash\"] if es else \"\"; "
    "ok = not bad and head == m[\"custody\"][\"head_hash\"] "
    "and len(es) == m[\"custody\"][\"entries\"]; "
    "print(\"OK: custody log chained to the head in manifest.json\" if ok else "
    "\"FAILED at entry %s\" % (bad[0] if bad else \"head\")); "
    "raise SystemExit(0 if ok else 1)'"
)


def _tsa_under_ca(certs: Mapping[str, bytes]) -> bool:
    """Whether the manifest's time stamp authority (certs/tsa.crt) was issued by the bundled
    instance CA (certs/ca.crt): the instance's own TSA, not an outside authority."""
    if "ca.crt" not in certs or "tsa.crt" not in certs:
        return False
    try:
        ca = load_certificates(certs["ca.crt"])[0]
        tsa = load_certificates(certs["tsa.crt"])[0]
    except UnreadableCertificate:
        return False
    return bool(tsa.issuer == ca.subject)


def _trust_files(certs: Mapping[str, bytes]) -> tuple[str, list[str]]:
    """The -CAfile for openssl and the --trust files for pyHanko, from the bundled certs.

    openssl gets the TSA's chain, certs/tsa.crt: the authority's certificate, then the chain
    its reply carried up to its root (for the instance's own TSA, the instance CA). pyHanko
    gets certs/ca.crt, the certificate whose fingerprint the reader confirms, as its one
    trust root, never the leaf signing certificate; only when an outside authority made the
    time stamps does its chain join, for the signature's time stamp. An instance from before
    the CA has only the self-signed signing and TSA certificates.
    """
    if "ca.crt" in certs:
        if _tsa_under_ca(certs):
            return "certs/tsa.crt", ["certs/ca.crt"]
        return "certs/tsa.crt", ["certs/ca.crt", "certs/tsa.crt"]
    return "certs/tsa.crt", ["certs/signing.crt", "certs/tsa.crt"]


def commands(certs: Mapping[str, bytes]) -> list[str]:
    """The command lines VERIFY.txt gives, in order, each run from the bundle's root."""
    ts_ca, pdf_trust = _trust_files(certs)
    trust = " ".join(f"--trust {name}" for name in pdf_trust)
    return [
        f"sha256sum -c {SUMS_ENTRY}",
        _SUMS_AGREE,
        f"openssl ts -verify -data manifest.json -in manifest.tsr -CAfile {ts_ca}",
        f"pyhanko sign validate --trust-replace {trust} dossier.pdf",
        _CUSTODY_CHAIN,
    ]


def anchor_name(certs: Mapping[str, bytes]) -> str:
    """The bundled certificate whose fingerprint must be confirmed out of band."""
    return "certs/ca.crt" if "ca.crt" in certs else "certs/signing.crt"


def verify_text(dossier_id: str, certs: Mapping[str, bytes]) -> str:
    """The whole of VERIFY.txt."""
    cmd = [COMMAND_PREFIX + line for line in commands(certs)]
    anchor = anchor_name(certs)
    tsa_file = _trust_files(certs)[0]
    if _tsa_under_ca(certs):
        tsa_zh = (
            f"\n步骤 3 的 {tsa_file} 依次包含时间戳服务的证书和签发它的实例 CA 证书"
            "（与 certs/ca.crt 相同）。"
        )
        tsa_en = (
            f"\nIn step 3, {tsa_file} holds the time stamping certificate and, after it, the"
            "\ninstance CA that issued it (the same certificate as certs/ca.crt)."
        )
    else:
        tsa_zh = f"\n若时间戳由外部机构签发，步骤 3 的 {tsa_file} 须换成您从该机构取得的根证书。"
        tsa_en = (
            f"\nIf an outside authority made the time stamps, use its root certificate, obtained "
            f"from\nthat authority, instead of {tsa_file} in step 3."
        )
    fingerprint_cmd = f"{COMMAND_PREFIX}openssl x509 -in {anchor} -noout -fingerprint -sha256"
    fingerprints = "\n".join(
        f"  certs/{name}  SHA-256 {certificate_fingerprint(pem)}" for name, pem in certs.items()
    )
    return f"""caseapp dossier {dossier_id} / 投诉证据材料 {dossier_id}

== 中文 ==
本材料包包含：已签名并加盖时间戳的 dossier.pdf；originals/ 目录下的全部原始证据文件；
manifest.json（清单：每个原始文件的 SHA-256 和大小）；manifest.tsr（清单的 RFC 3161 时间戳）；
custody.json（证据保管日志：全部条目、末条哈希、末条签名及其公钥）；SHA256SUMS（本包每个文件的
SHA-256）；certs/ 目录下的证书。

核验方法：解压后，在本文件（VERIFY.txt）所在的文件夹中打开终端，逐行运行以 "$ " 开头的命令
（不要输入 "$ "，也不要 cd 到子文件夹）。每条命令都应以退出码 0 结束。
1. 每个文件未被改动（每行应显示 OK；中文系统可能显示"成功"）：
{cmd[0]}
2. SHA256SUMS 与清单 manifest.json 一致：
{cmd[1]}
3. 清单的时间戳（应显示 "Verification: OK"）：
{cmd[2]}
4. PDF 签名（需要 pyHanko：pip install pyhanko-cli；应显示 INTACT:TRUSTED，且为 UNTOUCHED
   或 EXTENDED_WITH_LTA_UPDATES——签名后只追加了验证数据和文档时间戳）：
{cmd[3]}
5. 证据保管日志逐条相连，并连到清单中的末条哈希（只需 Python 3）：
{cmd[4]}
6. 用 PDF 阅读器（如 Adobe Acrobat Reader）打开 dossier.pdf：签名面板应显示签名有效，
   签名后只添加了文档时间戳，内容未被修改。
7. 如已安装 caseapp：caseapp verify 本材料包.zip --fingerprint <您另行核实的 CA 指纹>
   退出码 0 = 完整且由该 CA 签发；1 = 不完整或并非由该 CA 签发；2 = 无法读取；
   3 = 完整，但签发者未经确认（会显示其指纹）。它还会核对日志末条的签名。

重要：包内的证书只能证明各文件彼此一致，不能证明材料来自谁——伪造者可以把自己的证书放进包里，
并在这里印上自己的指纹。信任只能来自包外：请通过其他渠道（发送方网站、电话、信件，或该系统的
GET /pki/ca.pem）确认 {anchor} 的 SHA-256 指纹，再用它核验（步骤 4 的 --trust，
或 caseapp verify --fingerprint）。{anchor} 的指纹可这样算出：
{fingerprint_cmd}{tsa_zh}

== English ==
This bundle holds: dossier.pdf, signed and time-stamped; originals/, every original evidence
file; manifest.json, listing each original's SHA-256 and size; manifest.tsr, an RFC 3161 time
stamp over manifest.json; custody.json, the chain-of-custody log (every entry, the head, the
head's signature and the key to check it); SHA256SUMS, the SHA-256 of every file in the bundle;
certs/, the certificates.

How to check it: unzip the bundle, open a terminal in the folder that holds this file
(VERIFY.txt) and run each line that starts with "$ " as written (without the "$ ", and
without changing into a subfolder). Each command must exit with status 0.
1. No file was changed (every line must say OK):
{cmd[0]}
2. SHA256SUMS says what manifest.json says:
{cmd[1]}
3. The manifest's time stamp (must print "Verification: OK"):
{cmd[2]}
4. The PDF signature (needs pyHanko: pip install pyhanko-cli; must report INTACT:TRUSTED, and
   UNTOUCHED or EXTENDED_WITH_LTA_UPDATES: only validation data and document time stamps
   were added after signing):
{cmd[3]}
5. The custody log: every entry chained to the next, up to the head in manifest.json (needs
   only Python 3):
{cmd[4]}
6. Open dossier.pdf in a PDF reader (Adobe Acrobat Reader, for one): its signature panel must
   show a valid signature, followed by document time stamps only, the content unchanged.
7. With caseapp installed: caseapp verify THIS.zip --fingerprint <the CA fingerprint you
   confirmed>. Exit status 0 = intact and issued under that CA; 1 = not intact, or not issued
   under that CA; 2 = unreadable; 3 = intact, but the issuer is unconfirmed (its fingerprint
   is printed). It also checks the signature on the custody log's head.

Important: the certificates in this bundle prove only that its files agree with each other,
not who made them: a forger can put their own certificates in a bundle and print their own
fingerprints here. Trust has to come from outside: confirm the SHA-256 fingerprint of
{anchor} through another channel (the sender's website, a phone call, a letter, or
GET /pki/ca.pem of the instance that issued it), then check against it (--trust in step 4,
or caseapp verify --fingerprint). To compute the fingerprint of {anchor}:
{fingerprint_cmd}{tsa_en}

Certificates in this bundle (for comparison only, see above) / 包内证书（仅供比对，见上文）:
{fingerprints}
"""
