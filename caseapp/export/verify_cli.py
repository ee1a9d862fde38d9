"""`caseapp verify`: check a dossier anywhere, no app or database needed.

Kept apart from the export commands and importing pyHanko only when it runs, so the
`caseapp` command starts quickly and this command works away from any instance.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from caseapp.config import instance_path_from_env

if TYPE_CHECKING:
    from caseapp.export.trust import TrustAnchors

_FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")


class InstanceAnchorUnreadable(click.ClickException):
    """The instance's CA certificate is there but cannot be read (exit 2, like a bad file)."""

    exit_code = 2


def _given_anchors(trust: Path | None, fingerprint: str | None) -> TrustAnchors | None:
    from caseapp.export.trust import TrustAnchors, UnreadableCertificate, load_certificates

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
    from caseapp.export.pki import instance_trust_anchors
    from caseapp.export.trust import TrustAnchors
    from caseapp.export.verify import verify_file

    anchors = _given_anchors(trust, fingerprint)
    if anchors is None:
        try:
            instance = instance_trust_anchors(instance_path_from_env() / "keys")
        except (OSError, ValueError) as exc:  # a damaged ca.crt (or legacy certificate)
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
