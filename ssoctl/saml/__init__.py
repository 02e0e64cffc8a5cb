"""SAML 2.0 pieces: the hardened parser, metadata, responses, signing, bindings."""
