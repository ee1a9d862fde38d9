"""The instance's own RFC 3161 time stamping authority, and the list of external ones.

The instance TSA answers in-process (no HTTP round trip to itself): it builds a TSTInfo with
its own policy OID (`tsa_policy_oid`, made at init under 2.25), a declared accuracy, a
random 128-bit serial number (unique without any shared counter, so two workers or a
restored backup can never reuse one), the request's nonce echoed, and signs it with the
TSA key whose certificate the instance CA issued with the critical timeStamping EKU. The
signed attributes carry ESSCertIDv2 (RFC 5816) so the token names its certificate by
SHA-256.

Honesty: the instance's clock is whatever the server's clock says. A stamp from it proves
the document existed no later than that time *if* one trusts this instance; only a stamp
from an accredited authority (`tsa_accredited`) is evidence of time on its own.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import algos, cms, core, tsp, x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.timestamps.api import TimeStamper

ACCURACY_SECONDS = 1
_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def _rejection(text: str) -> tsp.TimeStampResp:
    return tsp.TimeStampResp({
        "status": tsp.PKIStatusInfo({
            "status": tsp.PKIStatus("rejection"),
            "status_string": [text],
            "fail_info": tsp.PKIFailureInfo({"bad_alg"}),
        })
    })


class InstanceTimeStamper(TimeStamper):
    """An RFC 3161 authority in-process, signing with the instance TSA key."""

    def __init__(
        self,
        tsa_cert: x509.Certificate,
        tsa_key_pem: bytes,
        policy_oid: str,
        chain: Sequence[x509.Certificate] = (),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__()
        key = serialization.load_pem_private_key(tsa_key_pem, password=None)
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise TypeError("the TSA key must be RSA or EC")
        self._key = key
        self.tsa_cert = tsa_cert
        self.policy_oid = policy_oid
        self.chain = list(chain)
        self.clock = clock

    def tst_info(self, req: tsp.TimeStampReq, at: datetime) -> tsp.TSTInfo:
        """The TSTInfo this authority vouches for: imprint, time, accuracy, serial, nonce."""
        info = {
            "version": "v1",
            "policy": self.policy_oid,
            "message_imprint": req["message_imprint"],
            "serial_number": secrets.randbits(127) | 1 << 126,
            "gen_time": at,
            "accuracy": tsp.Accuracy({"seconds": ACCURACY_SECONDS}),
            "ordering": False,
            "tsa": x509.GeneralName(name="directory_name", value=self.tsa_cert.subject),
        }
        if req["nonce"].native is not None:
            info["nonce"] = req["nonce"]
        return tsp.TSTInfo(info)

    def respond(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """Answer one request as RFC 3161 § 2.4.2 says: granted with a token, or rejected."""
        algorithm = req["message_imprint"]["hash_algorithm"]["algorithm"].native
        if algorithm not in _HASHES:
            return _rejection(f"unsupported hash algorithm {algorithm}")
        if len(req["message_imprint"]["hashed_message"].native) != _HASHES[algorithm].digest_size:
            return _rejection("the message imprint has the wrong length")
        requested_policy = req["req_policy"].native
        if requested_policy is not None and requested_policy != self.policy_oid:
            return _rejection(f"unknown policy {requested_policy}")
        at = self.clock().astimezone(UTC).replace(microsecond=0)
        content = self.tst_info(req, at).dump()
        signed_attrs = cms.CMSAttributes([
            simple_cms_attribute("content_type", "tst_info"),
            simple_cms_attribute(
                "signing_time", cms.Time({"utc_time": core.UTCTime(at)})
            ),
            simple_cms_attribute("message_digest", hashlib.sha256(content).digest()),
            simple_cms_attribute(
                "signing_certificate_v2", as_signing_certificate_v2(self.tsa_cert)
            ),
        ])
        if isinstance(self._key, rsa.RSAPrivateKey):
            signature = self._key.sign(signed_attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
            sig_alg = algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"})
        else:
            signature = self._key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
            sig_alg = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})
        digest_alg = algos.DigestAlgorithm({"algorithm": "sha256"})
        signer_info = cms.SignerInfo({
            "version": "v1",
            "sid": cms.SignerIdentifier({
                "issuer_and_serial_number": cms.IssuerAndSerialNumber({
                    "issuer": self.tsa_cert.issuer,
                    "serial_number": self.tsa_cert.serial_number,
                })
            }),
            "digest_algorithm": digest_alg,
            "signature_algorithm": sig_alg,
            "signed_attrs": signed_attrs,
            "signature": signature,
        })
        certificates = [self.tsa_cert, *self.chain] if req["cert_req"].native else []
        signed_data = cms.SignedData({
            "version": "v3",
            "digest_algorithms": [digest_alg],
            "encap_content_info": {
                "content_type": "tst_info",
                "content": cms.ParsableOctetString(content),
            },
            "certificates": certificates or None,
            "signer_infos": [signer_info],
        })
        if not certificates:
            del signed_data["certificates"]
        token = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
        return tsp.TimeStampResp({
            "status": tsp.PKIStatusInfo({"status": tsp.PKIStatus("granted")}),
            "time_stamp_token": token,
        })

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """pyHanko's entry point: answer in-process."""
        return self.respond(req)


@dataclass(frozen=True)
class Authority:
    """One time stamping authority the instance uses, and whether the operator says it is
    accredited (in China: a national time service authority's trusted time stamp)."""

    name: str
    timestamper: TimeStamper
    accredited: bool = False
    own: bool = False


class FirstAnswering(TimeStamper):
    """Asks each authority in order; the first that grants a stamp gives it.

    `answered` records which one did, so the signer can then ask the others for document
    time stamps of their own.
    """

    def __init__(self, authorities: Sequence[Authority]) -> None:
        super().__init__()
        self.authorities = list(authorities)
        self.answered: Authority | None = None

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """The first granted reply; the last failure if none grants one."""
        from caseapp.export.signing import TimeStampFailed

        last: Exception | None = None
        for authority in self.authorities:
            try:
                reply = await authority.timestamper.async_request_tsa_response(req)
            except Exception as error:  # unreachable, malformed reply: try the next one
                last = error
                continue
            if reply["status"]["status"].native in ("granted", "granted_with_mods"):
                self.answered = authority
                return reply
            last = TimeStampFailed(f"{authority.name} refused the request")
        raise TimeStampFailed(f"no time stamping authority answered: {last}") from last
