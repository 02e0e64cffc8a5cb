"""Characters that mislead a reader: refused in a tenant file, escaped on output.

A tenant file is read by two YAML parsers (libyaml for reading, ruamel.yaml for edits)
and by people, through editors and diff viewers. They disagree about some characters:
libyaml breaks lines at U+0085, U+2028 and U+2029, where ruamel.yaml, yaml-language-server
and a pull request's diff see one comment line. A lone CR is a line break to YAML but
not to most diff views; a BOM inside the text, C0/C1 controls and DEL are invisible; the
bidirectional overrides (Trojan Source, CVE-2021-42574) reorder what a reviewer sees.
`first_hidden` finds the first of them, so the one gate in front of both parsers
(`tenant.fastread.compose`) can refuse the file: then every reader sees the same document.

`shown` is the other half: any text that came from outside (a tenant file, an SP's
metadata, a SAML message) is escaped before it reaches a terminal, so an ESC byte in a
value cannot write to the clipboard (OSC 52), retitle the window or erase lines.
"""

from __future__ import annotations

import re

# C0 controls but TAB/LF/CR, DEL, C1 (NEL included), LS, PS, the bidirectional
# embeddings, overrides and isolates, a BOM (allowed in a tenant file only as the first
# character: see first_hidden), non-characters and lone surrogates, and a CR not followed
# by LF. Refused in a tenant file; escaped on output, where TAB and LF are layout.
_MISLEADING = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ufeff\ufffe\uffff\ud800-\udfff]|\r(?!\n)"
)

_NAMES = {
    "\x85": "NEL, a line break to libyaml only",
    "\u2028": "LINE SEPARATOR, a line break to libyaml only",
    "\u2029": "PARAGRAPH SEPARATOR, a line break to libyaml only",
    "\r": "a carriage return not followed by a line feed",
    "\ufeff": "a byte order mark inside the text",
    "\x1b": "ESC, a terminal control",
    "\x7f": "DEL",
}


def describe(char: str) -> str:
    """'U+0085 (NEL, a line break to libyaml only)'."""
    import unicodedata

    name = _NAMES.get(char)
    if name is None:
        category = unicodedata.category(char)
        if category == "Cf":
            name = f"{unicodedata.name(char, 'a format character')}, invisible"
        else:
            name = "a control character" if category == "Cc" else "not a character"
    return f"U+{ord(char):04X} ({name})"


def first_hidden(text: str) -> tuple[int, int, str] | None:
    """(line, col, description) of the first misleading character, 1-based and counted
    in LF-separated lines as every editor counts them; a BOM at the very start is fine."""
    start = 1 if text.startswith("\ufeff") else 0
    found = _MISLEADING.search(text, start)
    if found is None:
        return None
    at = found.start()
    line = text.count("\n", 0, at) + 1
    col = at - (text.rfind("\n", 0, at) + 1) + 1
    return line, col, describe(text[at])


def shown(text: str) -> str:
    """`text` with every control and misleading character written as an escape
    (\\x1b, \\u0085): safe to print to a terminal or a CI log."""
    if not _MISLEADING.search(text):
        return text
    return _MISLEADING.sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group()[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown_in_json(document: str) -> str:
    """A JSON text with those characters as \\u escapes (json.dumps escapes C0 controls
    but, with ensure_ascii=False, leaves C1, LS, PS and the bidi controls raw). In JSON
    they can only stand inside strings, where the escape means the same character."""
    return _MISLEADING.sub(lambda m: f"\\u{ord(m.group()[0]):04x}", document)
