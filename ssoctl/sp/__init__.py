"""`ssoctl sp serve`: a test SP for one app of the tenant file, standing in for
RingCentral or Mitel, so that the twin or real Entra can be checked without the vendor.
It serves through the twin's hardened HTTP layer (idp/server.py). Its door: LocalSP."""

from ssoctl.sp.app import LocalSP, SpOptions

__all__ = ["LocalSP", "SpOptions"]
