"""Every route of the URL configuration refuses a POST without CSRF token.

The routes are listed from the resolver, not by hand, so a new view is covered the moment
it is added. Routes exempt from CSRF (the read-only APIs) must not accept POST at all.
"""

import re
import re._constants as C
import re._parser as sre_parse

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

pytestmark = pytest.mark.django_db

SAMPLES = {"int": "1", "slug": "x", "str": "x", "path": "x/y", "uuid":
           "00000000-0000-0000-0000-000000000000"}


def sample_from_regex(regex: str) -> str:
    """The shortest string the regex matches (enough of one), for building a URL."""

    def walk(tokens) -> str:
        out = []
        for op, arg in tokens:
            if op is C.LITERAL:
                out.append(chr(arg))
            elif op is C.NOT_LITERAL or op is C.ANY:
                out.append("x")
            elif op is C.IN:
                first_op, first_arg = arg[0]
                if first_op is C.LITERAL:
                    out.append(chr(first_arg))
                elif first_op is C.RANGE:
                    out.append(chr(first_arg[0]))
                elif first_op is C.CATEGORY:
                    out.append("1" if first_arg is C.CATEGORY_DIGIT else "a")
                else:
                    out.append("x")
            elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
                low, _, sub = arg
                out.append(walk(sub) * max(low, 1))
            elif op is C.SUBPATTERN:
                out.append(walk(arg[-1]))
            elif op is C.BRANCH:
                out.append(walk(arg[1][0]))
            elif op is C.CATEGORY:
                out.append("1" if arg is C.CATEGORY_DIGIT else "a")
        return "".join(out)

    return walk(sre_parse.parse(regex))


def piece(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        route = str(pattern)
        return re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES.get(m.group(1) or "str", "x"),
                      route)
    if isinstance(pattern, RegexPattern):
        return sample_from_regex(pattern.regex.pattern)
    return sample_from_regex(pattern.regex.pattern)


def all_routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        path = prefix + piece(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from all_routes(entry, path)
        elif isinstance(entry, URLPattern):
            yield "/" + path.lstrip("/"), entry.callback


# Exempt from CSRF because the caller authenticates with client credentials or a Bearer token,
# never with the session cookie (OpenID Connect token and userinfo endpoints).
TOKEN_AUTHENTICATED = {"/oidc/token", "/oidc/userinfo"}
# The Fachverfahren API: every route needs an API client's Bearer token (401 without one);
# the session cookie is never read there.
TOKEN_AUTHENTICATED |= {
    "/api/v1/fachverfahren/cases/x/transition",
    "/api/v1/fachverfahren/submissions/x/acknowledge",
    "/api/v1/fachverfahren/submissions/x/messages",
    "/api/v1/fachverfahren/submissions/x/notice",
}
# Exempt because they change nothing and read no session: they check what is posted and
# answer (checking a form definition, converting a FIM file).
STATELESS = {"/api/v1/forms/check", "/api/v1/forms/fim"}

ROUTES = sorted({(p, cb) for p, cb in all_routes()}, key=lambda r: r[0])


def test_the_listing_finds_the_routes():
    paths = {p for p, _ in ROUTES}
    assert {"/konto/anmelden/", "/konto/registrieren/", "/i18n/setlang/",
            "/leistungen/99000000000000/"} <= paths
    assert any(p.startswith("/admin/") for p in paths)
    assert len(paths) > 40


@pytest.mark.parametrize(("path", "callback"), ROUTES, ids=[p for p, _ in ROUTES])
def test_post_without_csrf_token_is_refused(path, callback):
    client = Client(enforce_csrf_checks=True)
    response = client.post(path, {"x": "1"})
    if getattr(callback, "csrf_exempt", False):
        if path in TOKEN_AUTHENTICATED or path in STATELESS:
            assert response.status_code in (400, 401), (path, response.status_code)
            assert "sessionid" not in response.cookies
        else:
            assert response.status_code in (404, 405), f"{path} takes POST without CSRF"
    else:
        assert response.status_code == 403, (path, response.status_code)
