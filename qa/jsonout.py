"""JSON text as qa prints it: shared by `--json` output and `Answer.to_json()`."""

from __future__ import annotations

import json
import re

# U+2028/U+2029 too: a reader splitting lines the Unicode way (Python's str.splitlines) would cut a JSON line there.
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_text(payload) -> str:
    """JSON for output: non-ASCII text stays readable, but C1 controls and bidi overrides are written
    as \\u escapes (json escapes C0 itself), so JSON shown on a terminal cannot drive it either."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(payload, ensure_ascii=False))
