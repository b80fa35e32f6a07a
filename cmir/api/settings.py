"""The API's settings: its section of CMIR's settings (`cmir.chain.settings.ApiSettings`), read
from the environment (prefix ``CMIR_``) with the same names and defaults as the indexer's for
what they share (the database, the chain, the deployment record)."""

from __future__ import annotations

from cmir.chain.settings import DEFAULT_ADDRESS_URLS, DEFAULT_TX_URLS, ApiSettings, project_dir

#: The API's settings class (the name its modules and tests use).
Settings = ApiSettings
#: The checkout (or the working directory), found when this module is imported; prefer
#: `cmir.chain.settings.project_dir`, which looks again.
ROOT = project_dir()

__all__ = ["DEFAULT_ADDRESS_URLS", "DEFAULT_TX_URLS", "ROOT", "ApiSettings", "Settings"]
