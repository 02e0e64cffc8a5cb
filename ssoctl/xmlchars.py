"""The characters XML 1.0 cannot carry at all, escaped or not (XML 1.0, section 2.2).

Every value in a tenant file may end up in XML - metadata, a Response, an AuthnRequest
check - so the tenant model refuses these where they are written, and the Response
writer refuses them for values from elsewhere (--attr). Kept apart from ssoctl.saml so
that loading a tenant file does not import lxml.
"""

from __future__ import annotations

import re

NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def first_non_xml_char(value: str) -> str | None:
    """'U+0007' for the first character XML cannot carry, or None."""
    bad = NOT_XML_CHARS.search(value)
    return f"U+{ord(bad.group()):04X}" if bad else None
