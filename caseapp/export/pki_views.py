"""Public PKI endpoints: the instance CA certificate and its CRL. No login: a recipient's
validator (or the operator's colleague comparing the fingerprint) must reach them."""

from __future__ import annotations

from flask import Blueprint, Response, request

from caseapp.export import pki
from caseapp.runtime import runtime

bp = Blueprint("pki", __name__, url_prefix="/pki")


def public_base() -> str:
    """The instance's public address: the `public_url` setting, else the request's host
    (for display only; certificates name a CRL address only when `public_url` is set)."""
    return (runtime().settings.public_url or request.host_url).rstrip("/")


@bp.get("/ca.pem")
def ca_pem() -> Response:
    """The instance CA certificate, PEM."""
    data = pki.ca_certificate_pem(runtime().settings.keys_path)
    response = Response(data, mimetype="application/x-pem-file")
    response.headers["Content-Disposition"] = "inline; filename=ca.pem"
    return response


@bp.get("/crl")
def crl() -> Response:
    """The CA's current CRL, DER. Re-issued on the way when it is close to its nextUpdate:
    the one write a GET makes here, so a CRL fetched from us is never stale."""
    data = pki.current_crl(runtime().settings.keys_path)
    response = Response(data, mimetype="application/pkix-crl")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/")
def summary() -> Response:
    """What a recipient needs to confirm out of band, as plain text."""
    keys = runtime().settings.keys_path
    base = public_base()
    lines = [
        f"CA certificate SHA-256: {pki.ca_fingerprint(keys)}",
        f"CA certificate: {base}{pki.CA_PATH}",
        f"CRL: {base}{pki.CRL_PATH}",
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")
