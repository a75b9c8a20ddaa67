"""The README's table of what each role may do through the API is the code's own."""

import re
from pathlib import Path

from django.urls import URLPattern, get_resolver

from repaircenter.accounts.roles import STAFF_ROLES, Role

README = Path(__file__).resolve().parents[3] / "README.md"


def api_role_rows() -> list[str]:
    """One table row per API operation: its method, path and the roles that may call it."""
    api = next(p for p in get_resolver().url_patterns if getattr(p, "namespace", None) == "api")
    v1 = next(p for p in api.url_patterns if str(p.pattern) == "v1/")
    rows = []
    for pattern in v1.url_patterns:
        view = getattr(pattern.callback, "view_class", None)
        if not isinstance(pattern, URLPattern) or not getattr(view, "roles", None):
            continue
        path = re.sub(r"<int:(\w+)>", r"<\1>", str(pattern.pattern))
        for method, needed in view.roles.items():
            who = ("any role" if set(needed) == set(STAFF_ROLES)
                   else ", ".join(role for role in Role.values if role in needed))
            rows.append(f"| `{method} /api/v1/{path}` | {who} |")
    return rows


def test_the_readme_lists_the_roles_of_every_api_operation_as_the_code_checks_them():
    readme = README.read_text()
    rows = api_role_rows()
    assert len(rows) > 15
    missing = [row for row in rows if row not in readme]
    assert not missing, "README.md does not say (or says otherwise):\n" + "\n".join(missing)
    documented = re.findall(r"^\| `(?:GET|POST|PATCH|PUT|DELETE) /api/v1/.*$", readme, re.M)
    assert sorted(documented) == sorted(rows), "README.md lists operations the API lacks"


def test_the_readme_does_not_say_that_only_cashiers_take_payments():
    readme = " ".join(README.read_text().split())
    assert "a token without the cashier role cannot take payments" not in readme
