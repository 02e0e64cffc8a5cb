"""The tenant file's wing: the only code that reads or writes a tenant file and the files
beside it (docs/architecture.md). This is its door: re-exports only.

Outside this package, import from `ssoctl.tenant` (these names) or `ssoctl.tenant.model`
(the typed model, which rules and reporters read); nothing else in here. The import
contract in tests/test_architecture.py holds that.
"""

from ssoctl.tenant.document import (
    MAX_TENANT_BYTES as MAX_TENANT_BYTES,
)
from ssoctl.tenant.document import (
    EditOutcome as EditOutcome,
)
from ssoctl.tenant.document import (
    LoadedTenant as LoadedTenant,
)
from ssoctl.tenant.document import (
    Positions as Positions,
)
from ssoctl.tenant.document import (
    RoundTripPositions as RoundTripPositions,
)
from ssoctl.tenant.document import (
    create as create,
)
from ssoctl.tenant.document import (
    dotted as dotted,
)
from ssoctl.tenant.document import (
    dump as dump,
)
from ssoctl.tenant.document import (
    edit as edit,
)
from ssoctl.tenant.document import (
    edit_reviewed as edit_reviewed,
)
from ssoctl.tenant.document import (
    load as load,
)
from ssoctl.tenant.document import (
    load_roundtrip as load_roundtrip,
)
from ssoctl.tenant.document import (
    load_text as load_text,
)
from ssoctl.tenant.document import (
    parse_yaml as parse_yaml,
)
from ssoctl.tenant.document import (
    read_text as read_text,
)
from ssoctl.tenant.document import (
    schema_problems as schema_problems,
)
from ssoctl.tenant.document import (
    to_plain as to_plain,
)
