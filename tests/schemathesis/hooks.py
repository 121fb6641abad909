"""Checks schemathesis runs on every answer of pulse-sync, besides its own.

Loaded through SCHEMATHESIS_HOOKS by tests/tests/bad_input_schemathesis.rs.
"""

import schemathesis

DOCUMENTED_MEMBERS = {"code", "message", "field", "job_id"}


@schemathesis.check
def documented_error_shape(ctx, response, case):
    """Every error body is exactly {"error": {"code", "message", and only "field" or "job_id"}}."""
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else ""
    assert content_type.startswith("application/json"), f"an error answered as {content_type!r}"
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, f"not the error envelope: {body!r}"
    error = body["error"]
    assert isinstance(error, dict), f"error is not an object: {error!r}"
    for name in ("code", "message"):
        assert isinstance(error.get(name), str) and error[name], f"error.{name} is missing: {error!r}"
    undocumented = set(error) - DOCUMENTED_MEMBERS
    assert not undocumented, f"undocumented error members: {sorted(undocumented)}"
    for name in ("field", "job_id"):
        if name in error:
            assert isinstance(error[name], str), f"error.{name} is not a string: {error!r}"


@schemathesis.check
def no_internals_in_errors(ctx, response, case):
    """A 500 says nothing about the inside: no SQL, no stack, no file paths."""
    if response.status_code < 500:
        return
    text = response.text.lower()
    for leak in ("sqlstate", "select ", "insert ", "panicked", "src/", ".rs:", "diesel", "postgres"):
        assert leak not in text, f"a 5xx shows internals ({leak!r}): {response.text[:200]}"
