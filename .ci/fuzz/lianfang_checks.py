"""Schemathesis hooks for lianfang: scalars it does not know, and the two checks that matter.

Loaded with SCHEMATHESIS_HOOKS=lianfang_checks (with this folder on PYTHONPATH).
"""

import os
from datetime import timezone

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

schemathesis.graphql.scalar(
    "NaiveDate", st.dates().map(lambda d: nodes.String(d.isoformat()))
)
schemathesis.graphql.scalar(
    "DateTime",
    st.datetimes(timezones=st.just(timezone.utc)).map(lambda d: nodes.String(d.isoformat())),
)

# Personal values of residents outside every fuzzing token's jurisdiction.
CANARIES = [c for c in os.environ.get("LIANFANG_CANARIES", "").split(",") if c]


@schemathesis.check
def lianfang_no_server_error(ctx, response, case):
    """No 5xx, and no INTERNAL error: whatever the input, the server answers cleanly."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:300]}")
    if '"INTERNAL"' in response.text:
        raise AssertionError(f"INTERNAL error: {response.text[:300]}")


@schemathesis.check
def lianfang_no_leak(ctx, response, case):
    """Nothing about a person outside the token's jurisdiction ever comes back."""
    for canary in CANARIES:
        if canary in response.text:
            raise AssertionError(f"out-of-scope value {canary!r} in a response")
