"""Schemathesis hooks for Keyward's contract fuzzing.

- Authentication rotates through spare master tokens: the fuzzer is free to
  delete admins and refresh tokens (it does), so when one master secret stops
  working the next spare takes over and the run keeps exercising the API.
- A check that no response carries a token secret except the one field the
  contract puts it in (`secret` of create, refresh, add admin, accept).
- `ast.parse` is serialised: CPython 3.11.7 keeps the AST constructor's
  recursion depth per interpreter rather than per thread (CPython gh-106905,
  fixed in 3.11.8), so two fuzzing workers describing hypothesis lambdas at
  once crash with "AST constructor recursion depth mismatch".
"""
import ast
import json
import os
import re
import threading

import requests
import schemathesis

BASE = os.environ["KEYWARD_URL"].rstrip("/")
SPARES = [s for s in os.environ["KEYWARD_MASTER_SECRETS"].split(",") if s]
SECRET = re.compile(r"kw_[mspug]_[0-9A-Za-z]{38}")

_AST_LOCK = threading.Lock()
_ast_parse = ast.parse


def _serialised_parse(*args, **kwargs):
    with _AST_LOCK:
        return _ast_parse(*args, **kwargs)


ast.parse = _serialised_parse


def _works(secret):
    r = requests.get(f"{BASE}/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
    return r.status_code == 200


@schemathesis.auth(refresh_interval=2)
class SpareMasters:
    def get(self, case, ctx):
        while SPARES:
            if _works(SPARES[0]):
                return SPARES[0]
            SPARES.pop(0)
        raise RuntimeError("every spare master token was deleted or replaced by the fuzzer")

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.check
def no_secret_outside_its_field(ctx, response, case):
    try:
        text = response.content.decode("utf-8", errors="replace")
    except Exception:
        return None
    found = set(SECRET.findall(text))
    if not found:
        return None
    allowed = set()
    try:
        body = json.loads(text)
        if isinstance(body, dict) and isinstance(body.get("secret"), str):
            allowed.add(body["secret"])
    except ValueError:
        pass
    leaked = found - allowed
    if leaked:
        raise AssertionError(f"a token secret appears outside the `secret` field: {sorted(leaked)[0][:8]}…")
    # The issued secret appears exactly once, in its field.
    for s in allowed:
        if text.count(s) != 1:
            raise AssertionError("the issued secret appears more than once in the response")
    return None
