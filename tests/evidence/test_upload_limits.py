"""Upload bodies: exempt from max_body_bytes, but bounded in all, chunked or not."""

from __future__ import annotations

import pytest

from caseapp.evidence.models import Evidence
from caseapp.evidence.upload import FORM_OVERHEAD
from caseapp.extensions import db
from tests.conftest import post_chunked

BOUNDARY = "caseapp-test-boundary"
MIB = 1024 * 1024


def multipart(files: list[tuple[str, bytes]], **fields: str) -> bytes:
    """A multipart/form-data body: the text fields first, then each file in the field `file`."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ] + [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n"
        for name, content in files
    ]
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def upload_headers(api) -> dict[str, str]:
    return {**api.headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def stored_blobs(app) -> list[str]:
    return list(app.extensions["caseapp"].vault.store.list())


@pytest.mark.settings(max_upload_bytes=MIB)
def test_chunked_upload_of_many_files_over_the_total_is_413_and_leaves_nothing(
    app, api, case, live_server
):
    files = [(f"part-{n}.bin", bytes([n]) * (900 * 1024)) for n in range(8)]
    body = multipart(files)
    assert len(body) > MIB + FORM_OVERHEAD  # each file is under the limit, the request is not
    status, answer = post_chunked(live_server, f"/api/v1/cases/{case.id}/evidence", body,
                                  upload_headers(api))
    assert status == 413
    assert b'"too_large"' in answer
    assert stored_blobs(app) == []
    assert db.session.query(Evidence).filter_by(case_id=case.id).count() == 0


@pytest.mark.settings(max_upload_bytes=MIB)
def test_chunked_upload_within_the_total_is_stored(app, api, case, live_server):
    files = [(f"part-{n}.bin", bytes([n]) * (600 * 1024)) for n in range(2)]
    status, _ = post_chunked(live_server, f"/api/v1/cases/{case.id}/evidence", multipart(files),
                             upload_headers(api))
    assert status == 201
    assert db.session.query(Evidence).filter_by(case_id=case.id).count() == 2


def test_upload_larger_than_max_body_bytes_still_streams_in(app, api, case, live_server):
    content = b"\x00evidence" * (300 * 1024)  # about 2.6 MiB, over the 1 MiB body limit
    assert len(content) > app.extensions["caseapp"].settings.max_body_bytes
    status, _ = post_chunked(live_server, f"/api/v1/cases/{case.id}/evidence",
                             multipart([("recording.bin", content)]), upload_headers(api))
    assert status == 201
    item = db.session.query(Evidence).filter_by(case_id=case.id).one()
    assert item.size == len(content)


def test_web_upload_larger_than_max_body_bytes_is_accepted(client, auth, case):
    auth.login()
    content = b"screenshot" * (250 * 1024)  # about 2.4 MiB
    # Built by hand: the test client would spool a large form to a temporary file.
    body = multipart([("截图.png", content)], csrf_token=auth.token(f"/cases/{case.id}"))
    response = client.post(f"/cases/{case.id}/evidence", data=body,
                           content_type=f"multipart/form-data; boundary={BOUNDARY}")
    assert response.status_code == 302
    assert db.session.query(Evidence).filter_by(case_id=case.id).one().size == len(content)


@pytest.mark.settings(max_upload_bytes=MIB)
def test_web_upload_over_the_total_is_refused_and_leaves_nothing(app, client, auth, case):
    auth.login()
    files = [(f"{n}.bin", bytes([n]) * (900 * 1024)) for n in range(3)]
    body = multipart(files, csrf_token=auth.token(f"/cases/{case.id}"))
    response = client.post(f"/cases/{case.id}/evidence", data=body,
                           content_type=f"multipart/form-data; boundary={BOUNDARY}",
                           headers={"Accept": "application/json"})
    assert response.status_code == 413
    assert stored_blobs(app) == []
    assert db.session.query(Evidence).filter_by(case_id=case.id).count() == 0


def test_receive_upload_counts_the_body_itself_when_no_length_is_given(app):
    import io

    from caseapp.evidence.upload import UploadTooLarge, receive_upload

    vault = app.extensions["caseapp"].vault
    per_file = 300 * 1024
    body = multipart([(f"{n}.bin", b"x" * per_file) for n in range(5)])
    assert len(body) > per_file + FORM_OVERHEAD  # each file passes its limit; all do not
    with pytest.raises(UploadTooLarge, match="limited"):
        receive_upload(io.BytesIO(body), f"multipart/form-data; boundary={BOUNDARY}", None, vault,
                       max_bytes=per_file, text_fields=frozenset())
    assert stored_blobs(app) == []
