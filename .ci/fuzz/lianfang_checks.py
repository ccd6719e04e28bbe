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

# The batch items' scalars take any JSON value and check it with its item (a bad one rejects
# only that item): fuzz them with good values and junk alike.
JUNK = st.one_of(
    st.text(max_size=40).map(nodes.String),
    st.integers(min_value=-(2**53), max_value=2**53).map(nodes.Int),
    st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
)


def names(*values):
    return st.one_of(st.sampled_from(values).map(nodes.String), JUNK)


schemathesis.graphql.scalar(
    "BatchDateTime",
    st.one_of(
        st.datetimes(timezones=st.just(timezone.utc)).map(lambda d: nodes.String(d.isoformat())),
        JUNK,
    ),
)
schemathesis.graphql.scalar(
    "BatchTemperature",
    st.one_of(
        st.integers(min_value=280, max_value=470).map(lambda t: nodes.Float(t / 10)),
        st.integers(min_value=280, max_value=470).map(lambda t: nodes.String(f"{t / 10}")),
        JUNK,
    ),
)
schemathesis.graphql.scalar("BatchDirection", names("INBOUND", "OUTBOUND"))
schemathesis.graphql.scalar(
    "BatchDocumentType",
    names("RESIDENT_ID", "PASSPORT", "HK_MACAO_PERMIT", "TAIWAN_PERMIT",
          "FOREIGNER_PERMANENT_RESIDENCE", "OTHER"),
)
schemathesis.graphql.scalar(
    "BatchSymptom",
    names("COUGH", "SORE_THROAT", "SHORTNESS_OF_BREATH", "LOSS_OF_TASTE_OR_SMELL",
          "RUNNY_NOSE", "FATIGUE", "MUSCLE_ACHE", "DIARRHEA"),
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
