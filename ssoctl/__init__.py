"""ssoctl: SAML single sign-on between Microsoft Entra ID and SaaS apps, as code."""

__version__ = "0.1.0"
