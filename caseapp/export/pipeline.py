"""One call from a dossier context to a signed PDF, and from there to a bundle.

The app, the CLI and the background worker all export through these two functions, so a
dossier is rendered, signed and time-stamped the same way wherever it is made.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from caseapp.export.bundle import write_bundle
from caseapp.export.context import DossierContext
from caseapp.export.manifest import build_manifest, manifest_bytes
from caseapp.export.pdf import render_pdf
from caseapp.export.signing import Signer
from caseapp.export.wording import TimestampWording


@dataclass(frozen=True)
class SignedDossier:
    """A finished dossier: the signed PDF, its manifest bytes and the PDF's SHA-256."""

    pdf: bytes
    manifest: bytes
    sha256: str


def produce_dossier(
    ctx: DossierContext, signer: Signer, static_dir: Path | None = None
) -> SignedDossier:
    """Render the dossier, embed originals and manifest, sign and time-stamp it."""
    wording = TimestampWording(
        signer.accredited, signer.own_timestamps, signer.timestamp_authority_name
    )
    pdf = signer.sign(render_pdf(ctx, static_dir, signer.fingerprint, wording))
    return SignedDossier(
        pdf=pdf,
        manifest=manifest_bytes(build_manifest(ctx)),
        sha256=hashlib.sha256(pdf).hexdigest(),
    )


def produce_bundle(
    out: BinaryIO,
    dossier: SignedDossier,
    ctx: DossierContext,
    signer: Signer,
    custody: bytes | None = None,
) -> None:
    """Write the bundle ZIP for a signed dossier, time-stamping its manifest.

    `custody` is the case's custody.json (caseapp.custody.document), read together with `ctx`.
    """
    tsr = signer.timestamp_bytes(dossier.manifest)
    write_bundle(
        out, dossier.pdf, ctx, dossier.manifest, tsr, signer.bundle_certificates(tsr), custody
    )
