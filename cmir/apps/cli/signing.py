"""The account that signs a `cmir` command: an encrypted keyfile (``--keyfile``) or an Ape keystore
account (``--account``), its password asked in a terminal or read from ``--password-file``; never
a private key on the command line."""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from cmir.apps.cli.common import Signer
from cmir.apps.cli.errors import BadInput, CliError
from cmir.chain.paths import checkout


def ask_password(signer: Signer, what: str) -> str:
    """The password of `what`: from --password-file, else (an Ape account) Ape's
    ``APE_ACCOUNTS_<alias>_PASSPHRASE``, else asked in the terminal."""
    if signer.password_file is not None:
        return signer.password_file.read_text().rstrip("\r\n")
    env = f"APE_ACCOUNTS_{signer.account}_PASSPHRASE" if signer.account else None
    if env and os.environ.get(env):
        return os.environ[env]
    if not sys.stdin.isatty():
        raise BadInput(f"the password of {what} is needed: give --password-file (or run in a terminal)")
    return getpass.getpass(f"Password of {what}: ")


def _decrypt(keyfile: dict[str, Any], password: str, what: str) -> LocalAccount:
    try:
        key = Account.decrypt(keyfile, password)
    except ValueError:
        raise CliError(f"wrong password for {what}") from None
    account: LocalAccount = Account.from_key(key)
    return account


def ape_account_folders() -> list[Path]:
    """Where `ape accounts import ALIAS` may have written ``ALIAS.json`` (Ape's keystore layout:
    ``<data folder>/accounts/``): the data folder of ``APE_DATA_FOLDER`` when set, Ape's default
    ``~/.ape`` (a shell without the Makefile's variables, as the README's), and this checkout's
    ``.build/ape-data`` (the Makefile's), in that order. Read as files: importing Ape would only
    look in one of them, and takes seconds."""
    folders = []
    if os.environ.get("APE_DATA_FOLDER"):
        folders.append(Path(os.environ["APE_DATA_FOLDER"]).expanduser())
    folders.append(Path.home() / ".ape")
    project = checkout()
    if project is not None:
        folders.append(project / ".build" / "ape-data")
    unique = dict.fromkeys(folder.resolve() / "accounts" for folder in folders)
    return [folder for folder in unique if folder.is_dir()]


def ape_keyfile(alias: str) -> Path | None:
    """The keyfile of Ape account `alias` (the first of `ape_account_folders` holding it)."""
    for folder in ape_account_folders():
        path = folder / f"{alias}.json"
        if path.is_file():
            return path
    return None


def ape_keyfile_or_refuse(alias: str) -> Path:
    """`ape_keyfile` of `alias`, or a one-line error naming the aliases found."""
    found = ape_keyfile(alias)
    if found is None:
        known = sorted({path.stem for folder in ape_account_folders() for path in folder.glob("*.json")})
        raise BadInput(
            f"no Ape account {alias!r} (known: {', '.join(known) or 'none'}); "
            "import one with `ape accounts import ALIAS`"
        )
    return found


def load_signer(signer: Signer) -> LocalAccount:
    """The account that signs: an Ape keystore alias (`ape_keyfile`) or a keyfile."""
    if signer.account and signer.keyfile:
        raise BadInput("give --account or --keyfile, not both")
    if signer.keyfile is not None:
        try:
            keyfile = json.loads(signer.keyfile.read_text())
        except ValueError:
            raise BadInput(f"{signer.keyfile} is not a JSON keyfile") from None
        return _decrypt(keyfile, ask_password(signer, str(signer.keyfile.name)), str(signer.keyfile.name))
    if signer.account:
        found = ape_keyfile_or_refuse(signer.account)
        try:
            keyfile = json.loads(found.read_text())
        except ValueError:
            raise BadInput(
                f"account {signer.account!r} is not a keystore account ({found}); use --keyfile"
            ) from None
        return _decrypt(
            keyfile,
            ask_password(signer, f"Ape account {signer.account!r}"),
            signer.account,
        )
    raise BadInput("choose who signs: --account ALIAS (Ape keystore) or --keyfile PATH")
