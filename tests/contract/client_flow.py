"""A client generated from worker/openapi.json by openapi-python-client, used
as its users would: create a token, whoami, list, refresh, upload, download,
verify and delete, against a running Keyward. Every answer must be the
generated model of its operation (not a dict), with the values sent.

tests/e2e/contract-client.test.mjs generates the client (package
`keyward_client`, on PYTHONPATH) and runs this with KEYWARD_URL and
KEYWARD_ADMIN_SECRET (a bootstrapped admin's master token). It prints one
line per step and exits non-zero at the first failure.
"""

import io
import os
import sys

from keyward_client import AuthenticatedClient
from keyward_client.api.storage import create_bucket, get_object, put_object
from keyward_client.api.tokens import (
    create_token,
    delete_token,
    list_tokens,
    refresh_token,
    verify,
    who_am_i,
)
from keyward_client.models import (
    Bucket,
    CreateBucket,
    CreateToken,
    IssuedToken,
    Meta,
    ObjectInfo,
    Problem,
    RefreshToken,
    RequirementAny,
    StorageCreateBucket,
    StorageCreateBucketPermission,
    StorageCreateBucketService,
    StorageRead,
    StorageReadPermission,
    StorageReadService,
    StorageWrite,
    StorageWritePermission,
    StorageWriteService,
    TokenPage,
    TokensManage,
    TokensManagePermission,
    TokensManageService,
    VerifyCode,
    VerifyRequest,
    VerifyResponse,
    WhoAmI,
)
from keyward_client.types import File

BASE = os.environ["KEYWARD_URL"]
ADMIN = os.environ["KEYWARD_ADMIN_SECRET"]
BUCKET = "contract-client"
KEY = "greeting.bin"
PAYLOAD = b"\x00hello from a generated client\xff"


def client(secret):
    # Undocumented statuses raise instead of parsing to None.
    return AuthenticatedClient(base_url=BASE, token=secret, raise_on_unexpected_status=True)


def expect(response, status, model, step):
    parsed = response.parsed
    assert response.status_code == status, (
        f"{step}: {response.status_code} {response.content[:300]!r}"
    )
    assert isinstance(parsed, model), f"{step}: {type(parsed).__name__}, not {model.__name__}"
    print(f"ok {step}: {status} {model.__name__}")
    return parsed


def main():
    admin = client(ADMIN)

    # Create: a token that may create buckets, write one bucket, and read
    # one table of another (a grant on a part: `bucket/table`).
    grants = [
        StorageCreateBucket(
            service=StorageCreateBucketService.STORAGE,
            permission=StorageCreateBucketPermission.CREATE_BUCKET,
        ),
        StorageWrite(
            service=StorageWriteService.STORAGE,
            permission=StorageWritePermission.WRITE,
            resource=BUCKET,
        ),
        StorageRead(
            service=StorageReadService.STORAGE,
            permission=StorageReadPermission.READ,
            resource="in.c-main/orders",
        ),
    ]
    meta = Meta.from_dict({"team": "contract"})
    body = CreateToken(name="contract client", grants=grants, meta=meta)
    issued = expect(create_token.sync_detailed(client=admin, body=body), 201, IssuedToken, "create")
    token = issued.token
    assert token.name == "contract client", token.name
    assert issued.secret.startswith("kw_s_"), issued.secret[:5]
    assert token.meta.additional_properties == {"team": "contract"}, token.meta
    held = {(g.service.value, g.permission.value, getattr(g, "resource", None)) for g in token.grants}
    assert ("storage", "write", BUCKET) in held, held
    assert ("storage", "read", "in.c-main/orders") in held, held

    # Whoami, as the new token.
    me = client(issued.secret)
    who = expect(who_am_i.sync_detailed(client=me), 200, WhoAmI, "whoami")
    assert who.token.id == token.id, (who.token.id, token.id)
    services = {p.service for p in who.permissions}
    assert "storage" in services, services

    # List, as the admin: the new token is there.
    page = expect(
        list_tokens.sync_detailed(client=admin, q="contract client", limit=100),
        200,
        TokenPage,
        "list",
    )
    assert [t.id for t in page.items] == [token.id], [t.id for t in page.items]
    assert page.total == 1 and page.limit == 100, (page.total, page.limit)

    # Refresh, as the token itself: same token, new secret.
    refreshed = expect(
        refresh_token.sync_detailed(token.id, client=me, body=RefreshToken(overlap_seconds=0)),
        200,
        IssuedToken,
        "refresh",
    )
    assert refreshed.token.id == token.id
    assert refreshed.secret != issued.secret
    me = client(refreshed.secret)

    # Upload and download, as the token: a bucket it creates.
    bucket = expect(
        create_bucket.sync_detailed(client=me, body=CreateBucket(id=BUCKET)),
        201,
        Bucket,
        "create bucket",
    )
    assert bucket.id == BUCKET, bucket.id
    upload = File(payload=io.BytesIO(PAYLOAD), mime_type="application/octet-stream")
    info = expect(
        put_object.sync_detailed(BUCKET, KEY, client=me, body=upload), 200, ObjectInfo, "upload"
    )
    assert (info.key, info.size) == (KEY, len(PAYLOAD)), (info.key, info.size)
    assert info.content_type == "application/octet-stream", info.content_type
    download = expect(get_object.sync_detailed(BUCKET, KEY, client=me), 200, File, "download")
    assert download.payload.read() == PAYLOAD

    # Verify the secret, as the admin (tokens:verify): a list of grants,
    # then an `any` the token meets through one alternative only.
    wanted = StorageWrite(
        service=StorageWriteService.STORAGE, permission=StorageWritePermission.WRITE, resource=BUCKET
    )
    answer = expect(
        verify.sync_detailed(client=admin, body=VerifyRequest(key=refreshed.secret, require=[wanted], dry_run=True)),
        200,
        VerifyResponse,
        "verify",
    )
    assert answer.valid and answer.code == VerifyCode.VALID, (answer.valid, answer.code)
    assert answer.token.id == token.id
    manage = TokensManage(service=TokensManageService.TOKENS, permission=TokensManagePermission.MANAGE)
    either = RequirementAny(any_=[manage, wanted])
    answer = expect(
        verify.sync_detailed(client=admin, body=VerifyRequest(key=refreshed.secret, require=either, dry_run=True)),
        200,
        VerifyResponse,
        "verify any",
    )
    assert answer.valid, answer.code
    answer = expect(
        verify.sync_detailed(client=admin, body=VerifyRequest(key=refreshed.secret, require=[manage], dry_run=True)),
        200,
        VerifyResponse,
        "verify missing",
    )
    assert not answer.valid and answer.code == VerifyCode.INSUFFICIENT_PERMISSIONS, answer.code

    # Delete, as the admin: the secret stops working.
    response = delete_token.sync_detailed(token.id, client=admin)
    assert response.status_code == 204, response.status_code
    print("ok delete: 204")
    expect(who_am_i.sync_detailed(client=me), 401, Problem, "whoami after delete")
    print("client flow: passed")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)
