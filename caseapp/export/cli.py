"""`caseapp export` and `caseapp verify`."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from caseapp.cases.models import Case
from caseapp.config import instance_path_from_env
from caseapp.export.context import LANGS, RECIPIENT_KINDS
from caseapp.export.dossier import build
from caseapp.export.models import Dossier
from caseapp.export.signing import SigningIdentityMissing, TimeStampFailed
from caseapp.export.trust import TrustAnchors, UnreadableCertificate, load_certificates
from caseapp.export.verify import instance_trust_anchors, verify_file
from caseapp.extensions import db
from caseapp.runtime import runtime


@click.command("export")
@click.argument("case_id")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the signed PDF.",
)
@click.option(
    "--bundle",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the ZIP bundle (PDF, originals, manifest, time stamp, certificates).",
)
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True)
@click.option(
    "--recipient",
    type=click.Choice(RECIPIENT_KINDS),
    default="consumer_association",
    show_default=True,
)
@with_appcontext
def export_command(
    case_id: str, output: Path, bundle: Path | None, lang: str, recipient: str
) -> None:
    """Write a signed, time-stamped dossier of CASE_ID."""
    case = db.session.get(Case, case_id)
    if case is None:
        raise click.ClickException(f"no case with id {case_id}")
    rt = runtime()
    dossier = Dossier(case_id=case.id, requested_by_id=None, lang=lang, recipient=recipient)
    db.session.add(dossier)
    db.session.commit()
    try:
        build(db.session, rt, dossier)
    except (SigningIdentityMissing, TimeStampFailed) as exc:
        db.session.rollback()
        dossier.status, dossier.error = "failed", str(exc)
        db.session.commit()
        raise click.ClickException(str(exc)) from exc
    _copy_blob(dossier.pdf_blob_id, output)
    click.echo(f"dossier {dossier.id}: {output} ({dossier.size} bytes, sha256 {dossier.sha256})")
    if bundle is not None:
        _copy_blob(dossier.bundle_blob_id, bundle)
        click.echo(
            f"bundle: {bundle} ({dossier.bundle_size} bytes, sha256 {dossier.bundle_sha256})"
        )


def _copy_blob(blob_id: str | None, target: Path) -> None:
    assert blob_id is not None
    try:
        with target.open("wb") as handle:
            for chunk in runtime().vault.open(blob_id):
                handle.write(chunk)
    except OSError as exc:
        raise click.ClickException(f"cannot write {target}: {exc.strerror}") from exc


_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


class InstanceAnchorUnreadable(click.ClickException):
    """The instance's CA certificate is there but cannot be read (exit 2, like a bad file)."""

    exit_code = 2


def _given_anchors(trust: Path | None, fingerprint: str | None) -> TrustAnchors | None:
    if trust is not None and fingerprint is not None:
        raise click.UsageError("give --trust or --fingerprint, not both")
    if trust is not None:
        try:
            return TrustAnchors(load_certificates(trust.read_bytes()), source="given")
        except OSError as exc:
            raise click.BadParameter(
                f"cannot read {trust}: {exc.strerror}", param_hint="--trust"
            ) from exc
        except UnreadableCertificate as exc:
            raise click.BadParameter(
                f"{trust} holds no certificate (PEM or DER)", param_hint="--trust"
            ) from exc
    if fingerprint is not None:
        cleaned = fingerprint.lower().replace(":", "").replace(" ", "")
        if not _FINGERPRINT.match(cleaned):
            raise click.BadParameter(
                "a SHA-256 fingerprint is 64 hexadecimal digits", param_hint="--fingerprint"
            )
        return TrustAnchors(fingerprint=cleaned, source="fingerprint")
    return None


@click.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--trust",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The CA certificate (PEM or DER, may hold several) the signer must chain to.",
)
@click.option(
    "--fingerprint",
    metavar="SHA256",
    help="The SHA-256 of the CA certificate the signer must chain to; that certificate must "
    "be among those the file carries.",
)
def verify_command(file: Path, trust: Path | None, fingerprint: str | None) -> None:
    """Check a dossier PDF or bundle ZIP: signature, time stamps, manifest, every original,
    the custody log, and that the signer chains to a trust anchor.

    \b
    The anchor is the one given by --trust or --fingerprint; without either, the instance's
    CA when run beside an instance ($CASEAPP_INSTANCE or ./instance). Certificates inside the
    file never count as an anchor: confirm the CA's fingerprint through another channel
    (the sender's website, a phone call, GET /pki/ca.pem of the instance).

    \b
    Exit status:
      0  intact, and the signer chains to the anchor
      1  not intact (the reason is printed), or signed by someone who does not chain to
         the anchor named: not the file that anchor's holder issued
      2  unreadable
      3  intact, but no anchor was named: the root it claims is printed; check it with
         --trust or --fingerprint
    """
    anchors = _given_anchors(trust, fingerprint)
    if anchors is None:
        try:
            instance = instance_trust_anchors(instance_path_from_env() / "keys")
        except (OSError, UnreadableCertificate) as exc:
            raise InstanceAnchorUnreadable(
                "this instance's CA certificate cannot be read; give --trust or --fingerprint"
            ) from exc
        anchors = TrustAnchors(instance, source="instance" if instance else "none")
    report = verify_file(file, anchors)
    labels = {
        "intact": "INTACT",
        "not_intact": "NOT INTACT",
        "unreadable": "UNREADABLE",
        "unconfirmed": "INTACT BUT SIGNER UNCONFIRMED",
    }
    click.echo(f"{labels[report.status]}: {file}")
    for reason in report.reasons:
        click.echo(f"  - {reason}")
    if report.signer_subject:
        click.echo(f"  signer: {report.signer_subject}")
    if report.anchor_fingerprint and report.status in ("intact", "unconfirmed", "not_intact"):
        role = "trusted anchor" if report.signer_trusted else "claims to come from"
        click.echo(f"  {role}: {report.anchor_subject}")
        click.echo(f"    CA certificate SHA-256: {report.anchor_fingerprint}")
    if report.signed_at:
        click.echo(f"  signed at: {report.signed_at.isoformat()}")
    if report.timestamp_at:
        click.echo(f"  time stamp: {report.timestamp_at.isoformat()}")
    if report.details.get("custody_head"):
        click.echo(
            f"  custody log: {report.details['custody_entries']} entries, "
            f"head {report.details['custody_head']}"
        )
    for name in report.details.get("ignored_entries", []):
        click.echo(f"  ignored (not part of the bundle): {name}")
    if report.status == "unconfirmed":
        click.echo(
            "  Nobody named a trust anchor, so this only shows the file is consistent with\n"
            "  itself: anyone can make a certificate with any name. Confirm the fingerprint\n"
            "  above with the sender through another channel (their website, a phone call,\n"
            "  GET /pki/ca.pem of their instance), then run again with\n"
            f"  caseapp verify {file} --fingerprint {report.anchor_fingerprint}\n"
            "  or --trust CA_CERT_FILE."
        )
    sys.exit(report.exit_code)
