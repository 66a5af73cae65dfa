"""Registry of emulated vendors: registry name -> module in this package.

Each module defines `Vendor`, a subclass of emucore.VendorBase.  To add a
vendor, write vendors/<name>.py and add one line to VENDORS (see README.md).
Modules are imported only when their vendor is started, so a broken module
does not stop the others.
"""

import importlib

# name -> module name inside this package, in start order
VENDORS = {
    "zendesk": "zendesk",
    "koreai": "koreai",
    "zoho_mail": "zoho_mail",
    "zscaler": "zscaler",
    "resolver": "resolver",
}


def names():
    """Registered vendor names, in start order."""
    return list(VENDORS)


def load(name):
    """The Vendor class of `name` (KeyError if it is not registered)."""
    module = importlib.import_module("." + VENDORS[name], __name__)
    return module.Vendor
