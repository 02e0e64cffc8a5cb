"""`ssoctl idp serve`: a local twin of the tenant's Entra, at Entra's own paths.

- `app.py`: the WSGI application (routing, sign-in, My Apps, SLO, metadata, errors);
- `state.py`: the tenant file as the twin serves it (reload, last good configuration);
- `session.py`: the signed session cookie (which user is signed in);
- `pages.py`: the HTML pages, every value escaped;
- `logout.py`: LogoutRequest in, signed LogoutResponse out (HTTP-Redirect);
- `server.py`: the standard library's threaded WSGI server, TLS, a self-signed
  certificate for Entra's login hosts.

Everything SAML goes through the same core as the commands: `saml/authnrequest.check`
and `signin.resolve` (as `assertion issue --request`), `federation.app_metadata` (as
`metadata export --app`). This package is the only incoming network code.
"""
