"""The page's first paint, filled in by the server: a visitor (or a screenshot, or a slow phone)
sees the French text and the key figures in the HTML itself, never "Chargement…" alone.

- Static labels: every ``data-i18n`` element left empty in index.html gets its French text from
  ``i18n.js`` (the one table of the page's words; the script translates them again on a switch).
- First data: the answers the page needs first (``/meta``, ``/pool``, ``/social-utility``,
  ``/network/summary``) are asked of the API itself, in process (the same routes, services and
  response cache as any client), and inlined as JSON: app.js renders from them without waiting.
- Key figures: the figure cards rendered here in French, as app.js renders them (it re-renders
  them from the same JSON at once, in the visitor's language and time zone)."""

from __future__ import annotations

import asyncio
import html
import json
import re
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

#: The answers inlined into the page, by the name app.js keeps them under.
FIRST_DATA = {
    "meta": "/api/v1/meta",
    "pool": "/api/v1/pool",
    "utility": "/api/v1/social-utility?limit=1",
    "summary": "/api/v1/network/summary?limit=24",
}
#: How long the page waits for them before it is sent without (app.js then asks for them).
FIRST_DATA_TIMEOUT = 2.0
#: The time zone of the server-rendered dates (the page shows the visitor's once its script ran).
ZONE = ZoneInfo("Europe/Paris")
NNBSP, NBSP = "\u202f", "\u00a0"
MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
DURATIONS = (("jour", 86400), ("heure", 3600), ("minute", 60), ("seconde", 1))
MESSAGE = re.compile(r'^\s*"(?P<key>[^"]+)":\s*(?P<value>"(?:[^"\\]|\\.)*"),?\s*$')
EMPTY_LABEL = re.compile(r'(<(?P<tag>[a-z0-9]+)\b[^>]*\bdata-i18n="(?P<key>[^"]+)"[^>]*>)(</(?P=tag)>)')


def french_messages(i18n_js: str) -> dict[str, str]:
    """The French table of i18n.js (its ``fr: {...}`` block, one ``"key": "text",`` a line)."""
    block = i18n_js.split("\n  fr: {", 1)[-1].split("\n  en: {", 1)[0]
    found = (MESSAGE.match(line) for line in block.splitlines())
    return {m["key"]: str(json.loads(m["value"])) for m in found if m}


def fill_labels(page: str, messages: dict[str, str]) -> str:
    """Every empty ``data-i18n`` element of `page` with its French text."""

    def text(m: re.Match[str]) -> str:
        value = messages.get(m["key"])
        return m.group(0) if value is None else m.group(1) + html.escape(value, quote=False) + m.group(4)

    return EMPTY_LABEL.sub(text, page)


async def first_data(app: FastAPI) -> dict[str, Any]:
    """The first answers, asked of the app in process; a failed or slow one is left out."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://page.local") as client:

        async def one(path: str) -> Any:
            response = await client.get(path, headers={"Accept": "application/json"})
            return response.json() if response.status_code == 200 else None

        try:
            answers = await asyncio.wait_for(
                asyncio.gather(*(one(p) for p in FIRST_DATA.values()), return_exceptions=True),
                FIRST_DATA_TIMEOUT,
            )
        except TimeoutError:
            return {}
    return {
        k: v
        for k, v in zip(FIRST_DATA, answers, strict=True)
        if v is not None and not isinstance(v, Exception)
    }


def inline_json(data: dict[str, Any]) -> str:
    """JSON safe inside a ``<script type="application/json">`` element."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


class French:
    """The page's formatters (app.js's amountText, percentText…), in French, on the server."""

    def __init__(self, messages: dict[str, str], meta: dict[str, Any] | None, pool: dict[str, Any]) -> None:
        self.messages = messages
        source = meta or pool
        self.symbol = str(source.get("token_symbol") or "")
        self.decimals = source.get("token_decimals")

    def t(self, key: str, **params: str) -> str:
        """The French message `key` with its {placeholders} filled."""
        text = self.messages.get(key, key)
        return re.sub(r"\{(\w+)\}", lambda m: params.get(m[1], m[0]), text)

    @staticmethod
    def grouped(digits: str) -> str:
        """Digits grouped by three with narrow no-break spaces, as fr-FR writes numbers."""
        return re.sub(r"\B(?=(\d{3})+(?!\d))", NNBSP, digits)

    def amount(self, amount: dict[str, Any] | None) -> str:
        """Two decimals rounded half up, French separators, the token's symbol."""
        if not amount:
            return "—"
        if self.decimals is not None and amount.get("units") is not None:
            exact = Decimal(int(amount["units"])).scaleb(-int(self.decimals))
        else:
            exact = Decimal(str(amount["display"]))
        cents = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        whole, fraction = f"{cents:f}".split(".")
        number = self.grouped(whole) + "," + fraction
        return number + NBSP + self.symbol if self.symbol else number

    def integer(self, value: int | str | None) -> str:
        """An integer, grouped."""
        return "—" if value is None else self.grouped(str(int(value)))

    def percent(self, fraction: str | float | Decimal | None) -> str:
        """A fraction as a percentage with two decimals ("16,04 %")."""
        if fraction is None:
            return "—"
        value = (Decimal(str(fraction)) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        whole, decimals = f"{value:f}".split(".")
        return self.grouped(whole) + "," + decimals + NNBSP + "%"

    def bps(self, bps: int | None) -> str:
        """Basis points as a percentage."""
        return "—" if bps is None else self.percent(Decimal(bps) / 10000)

    @staticmethod
    def duration(seconds: int) -> str:
        """A duration in its largest whole unit ("1 jour", "90 minutes")."""
        unit, size = next((u, s) for u, s in DURATIONS if seconds % s == 0)
        count = seconds // size
        return f"{count}{NBSP}{unit}{'s' if count > 1 else ''}"

    @staticmethod
    def time(iso: str | None) -> str:
        """A date and time as fr-FR writes them ("8 déc. 2026, 15:43"), in Paris time."""
        if not iso:
            return "—"
        when = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZONE)
        return f"{when.day} {MONTHS[when.month - 1]} {when.year}, {when:%H:%M}"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _value(key: str, text: str) -> str:
    """A headline figure (its unit in a smaller span), as app.js's `figure`."""
    number, _, unit = text.rpartition(NBSP)
    if not number or " " in unit:
        return f'<span class="value" data-figure="{key}">{_e(text)}</span>'
    unit_span = f'<span class="unit">{NBSP}{_e(unit)}</span>'
    return f'<span class="value" data-figure="{key}">{_e(number)}{unit_span}</span>'


def _dl(*pairs: tuple[str, str, str, str | None]) -> str:
    items = []
    for term, key, value, title in pairs:
        attr = f' title="{_e(title)}"' if title else ""
        items.append(f'<dt{attr}>{_e(term)}</dt><dd data-figure="{key}">{_e(value)}</dd>')
    return "<dl>" + "".join(items) + "</dl>"


def figure_cards(messages: dict[str, str], data: dict[str, Any]) -> str | None:
    """The key figures' cards in French, or None when a needed answer is missing."""
    pool, utility, summary = data.get("pool"), data.get("utility"), data.get("summary")
    if not pool or not utility or not summary:
        return None
    f = French(messages, data.get("meta"), pool)
    disbursed = utility["disbursed_ratio"]["value"]
    meter = 0.0 if disbursed is None else min(100.0, float(disbursed) * 100)
    total_note = f.t(
        "fig.total_received.note", count=f.integer(pool["inflow_count"]), balance=f.amount(pool["balance"])
    )
    utility_note = f.t(
        "fig.utility.note",
        allocated=f.percent(utility["allocated_ratio"]["value"]),
        floor=f.bps(utility["ess_floor_bps"]),
    )
    cards = [
        f'<article class="card total"><h3>{_e(f.t("fig.total_received"))}</h3>'
        f"{_value('total_received', f.amount(pool['total_received']))}"
        f'<p class="note">{_e(total_note)}</p></article>',
        f'<article class="card utility"><h3>{_e(f.t("fig.utility"))}</h3>'
        f"{_value('social_utility', f.percent(disbursed))}"
        f'<div class="meter" aria-hidden="true"><span style="width:{meter}%"></span></div>'
        f'<p class="note">{_e(f.t("fig.utility.help"))}</p><p class="note">{_e(utility_note)}</p></article>',
    ]
    for name in ("members", "ess", "collective"):
        bucket = pool["buckets"][name]
        pairs: list[tuple[str, str, str, str | None]] = [
            (f.t("fig.available"), f"{name}.available", f.amount(bucket["available"]), None),
            (f.t(f"fig.spent.{name}"), f"{name}.spent", f.amount(bucket["spent"]), None),
        ]
        if name == "ess":
            help_text = f.t("fig.members_to_ess.help")
            pairs.append(
                (f.t("fig.members_to_ess"), "ess.members_to_ess", f.amount(pool["members_to_ess"]), help_text)
            )
        share = f.bps(pool["shares"][f"{name}_bps"])
        cards.append(
            f'<article class="card {name}" data-bucket="{name}"><h3>{_e(f.t("fig." + name))}</h3>'
            f"{_value(name + '.received', f.amount(bucket['received']))}"
            f'<p class="note">{_e(f.t("fig.bucket.note", share=share))}</p>{_dl(*pairs)}</article>'
        )
    if pool.get("epoch") is not None:
        note = f.t(
            "fig.epoch.note", length=f.duration(int(pool["epoch_length"])), end=f.time(pool["epoch_ends_at"])
        )
        cards.append(
            f'<article class="card epoch" data-epoch="{int(pool["epoch"])}"><h3>{_e(f.t("fig.epoch"))}</h3>'
            f"{_value('epoch', f.t('fig.epoch.number', epoch=f.integer(pool['epoch'])))}"
            f'<p class="note" data-figure="epoch.ends">{_e(note)}</p>'
            + _dl(
                (f.t("fig.points.matured"), "points.matured", f.grouped(str(pool["matured_points"])), None),
                (f.t("fig.points.pending"), "points.pending", f.grouped(str(pool["pending_points"])), None),
                (
                    f.t("fig.epoch.cap"),
                    "epoch.cap",
                    f.bps(pool["epoch_reward_cap_bps"]),
                    f.t("fig.epoch.cap.help"),
                ),
                (
                    f.t("fig.parties_min"),
                    "parties_min",
                    f.bps(pool["parties_min_share_bps"]),
                    f.t("fig.parties_min.help"),
                ),
            )
            + "</article>"
        )
    excluded = int(summary["members"]) - int(summary["active_members"])
    member_note = f.t(
        "fig.member_count.note", active=f.integer(summary["active_members"]), excluded=f.integer(excluded)
    )
    relation_note = f.t("fig.relations.note", amount=f.amount(summary["relations_amount"]))
    cards.append(
        f'<article class="card"><h3>{_e(f.t("fig.member_count"))}</h3>'
        f"{_value('members_count', f.integer(summary['members']))}"
        f'<p class="note">{_e(member_note)}</p></article>'
    )
    cards.append(
        f'<article class="card"><h3>{_e(f.t("fig.relations"))}</h3>'
        f"{_value('relations_count', f.integer(summary['relations']))}"
        f'<p class="note">{_e(relation_note)}</p></article>'
    )
    return "".join(cards)


def asof_text(messages: dict[str, str], data: dict[str, Any]) -> str:
    """The header's "Au bloc …" lines, as app.js writes them."""
    pool, meta = data.get("pool"), data.get("meta")
    if not pool:
        return ""
    f = French(messages, meta, pool)
    parts = [f.t("asof", block=f.integer(pool["as_of"]["block"]), time=f.time(pool["as_of"]["time"]))]
    if meta:
        parts.append(f.t("network", network=str(meta["network"]), chain=str(meta["chain_id"])))
    return "<br>".join(_e(p) for p in parts)


def first_paint(page: str, web: Path, data: dict[str, Any]) -> str:
    """index.html with its labels in French, the first data inlined and the key figures drawn."""
    messages = french_messages((web / "i18n.js").read_text(encoding="utf-8"))
    page = fill_labels(page, messages)
    page = page.replace(
        '<script type="application/json" id="first-data">{}</script>',
        f'<script type="application/json" id="first-data">{inline_json(data)}</script>',
    )
    cards = figure_cards(messages, data)
    if cards is not None:
        page = re.sub(
            r'<div class="cards" id="figure-cards" aria-busy="true">.*?</div>',
            lambda _: f'<div class="cards" id="figure-cards" data-state="server">{cards}</div>',
            page,
            count=1,
            flags=re.S,
        )
    asof = asof_text(messages, data)
    if asof:
        page = page.replace(
            '<p class="asof" id="asof" aria-live="polite"></p>',
            f'<p class="asof" id="asof" aria-live="polite">{asof}</p>',
        )
    return page
