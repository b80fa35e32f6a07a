// CMIR DAO transparency page: reads the API under /api/v1 and renders every section.
// No framework: each section keeps the data it fetched and re-renders it when the language changes.
"use strict";

(function () {
  const API = "/api/v1";
  const I18N = window.I18N;
  const t = (key, params) => I18N.t(key, params);
  const REFRESH_MS = 20000;
  const COLORS = {
    members: "#1f5fbf",
    ess: "#1b7a3e",
    collective: "#a65300",
    source: "#52606f",
    Pilote: "#1f5fbf",
    Abeille: "#c98a00",
    EssStructure: "#1b7a3e",
    unknown: "#6b7785",
    sponsorship: "#7a8694",
    relation: "#0b5cad",
    disbursed: "#1b7a3e",
    allocated: "#0b5cad",
    floor: "#b3261e",
  };
  const KINDS = ["Pilote", "Abeille", "EssStructure"];

  const data = {
    meta: null,
    pool: null,
    utility: null,
    utilitySeries: null,
    summary: null,
    sankey: null,
    graph: null,
    facets: null,
    directory: { items: [], total: 0, next: null, params: {} },
    proposals: { items: [], total: 0, next: null },
    settings: null,
    safeguards: null,
    flows: { items: [], next: null, direction: "" },
    details: new Map(),
    member: null,
    recon: null,
    audit: null,
    health: null,
    block: null,
    spends: null,
    entity: null,
  };
  const charts = { sankey: null, network: null, utility: null };
  const errors = {};

  // ---------------------------------------------------------------- helpers

  const $ = (id) => document.getElementById(id);

  /** An element with attributes and children (strings become text nodes). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") el.className = value;
      else if (name === "text") el.textContent = value;
      else if (name === "style") el.setAttribute("style", value);
      else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
      else el.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  /** Replace an element's children (null, undefined and false are left out). */
  function fill(el, ...children) {
    el.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  }

  async function getJSON(path, params) {
    const url = new URL(API + path, window.location.origin);
    for (const [key, value] of Object.entries(params || {})) {
      if (value !== null && value !== undefined && value !== "") url.searchParams.set(key, value);
    }
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    let body = null;
    try {
      body = await response.json();
    } catch (_error) {
      body = null;
    }
    if (!response.ok && !(path === "/health" && body)) {
      const detail = body && body.detail ? body.detail : response.status + " " + response.statusText;
      const error = new Error(detail);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  const locale = () => (I18N.lang === "fr" ? "fr-FR" : "en-GB");
  /** The token's symbol as the API serves it (the CLI prints the same); none before it answered. */
  const symbol = () => (data.meta ? data.meta.token_symbol : data.pool ? data.pool.token_symbol : "");

  /** The token's decimals as the API states them, or null before it answered. */
  function tokenDecimals() {
    const source = data.meta || data.pool;
    return source ? source.token_decimals : null;
  }

  /** An amount in cents (a BigInt), rounded half up exactly: from its integer units and the
   *  token's decimals, or from its exact decimal `display` while the decimals are not known. */
  function amountCents(amount) {
    const decimals = tokenDecimals();
    if (decimals !== null && amount.units !== undefined && amount.units !== null) {
      const scale = BigInt(decimals);
      const units = BigInt(amount.units);
      return scale >= 2n ? (units * 100n + 10n ** scale / 2n) / 10n ** scale : units * 10n ** (2n - scale);
    }
    const [whole, fraction = ""] = String(amount.display).split(".");
    const digits = (fraction + "000").slice(0, 3);
    return BigInt(whole) * 100n + BigInt(digits.slice(0, 2)) + (digits[2] >= "5" ? 1n : 0n);
  }

  /** An amount as people read euros, the page's one amount formatter: two decimals (rounded half
   *  up, exactly, from the integer units), the language's separators, the token's symbol. The API
   *  keeps every digit (`units`, `display`); the auditor compares those. */
  function amountText(amount) {
    if (!amount) return "—";
    const cents = amountCents(amount);
    const group = I18N.lang === "fr" ? "\u202f" : ",";
    const decimal = I18N.lang === "fr" ? "," : ".";
    const whole = String(cents / 100n).replace(/\B(?=(\d{3})+(?!\d))/g, group);
    const number = whole + decimal + String(cents % 100n).padStart(2, "0");
    const unit = symbol();
    return unit ? number + "\u00a0" + unit : number;
  }

  /** A token amount as a float, for chart geometry only (never shown as a figure). */
  function amountFloat(amount) {
    const decimals = tokenDecimals();
    return Number(amount.units) / 10 ** (decimals === null ? 6 : decimals);
  }

  function intText(value) {
    return new Intl.NumberFormat(locale()).format(Number(value));
  }

  /** An exact integer given as a decimal string (points), grouped like the language's numbers. */
  function bigText(digits) {
    if (digits === null || digits === undefined) return "—";
    return String(digits).replace(/\B(?=(\d{3})+(?!\d))/g, I18N.lang === "fr" ? "\u202f" : ",");
  }

  /** A length of time in seconds, in its largest whole unit ("1 jour", "90 min"). */
  function durationText(seconds) {
    const units = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
    const [unit, size] = units.find(([, size]) => seconds % size === 0);
    return new Intl.NumberFormat(locale(), { style: "unit", unit, unitDisplay: "long" }).format(seconds / size);
  }

  /** A fraction (decimal string or number) as a percentage with two decimals. */
  function percentText(fraction) {
    if (fraction === null || fraction === undefined) return "—";
    return new Intl.NumberFormat(locale(), {
      style: "percent",
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
    }).format(Number(fraction));
  }

  const bpsText = (bps) => (bps === null || bps === undefined ? "—" : percentText(bps / 10000));

  function timeText(iso) {
    if (!iso) return "—";
    return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
  }

  /** Text made safe for the HTML of chart tooltips (names come from off-chain metadata). */
  function esc(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  const shortAddress = (address) => (address ? address.slice(0, 6) + "…" + address.slice(-4) : "—");
  const shortHash = (hash) => (hash ? hash.slice(0, 10) + "…" + hash.slice(-6) : "—");

  /** An address, linked to the explorer when the network has one. */
  function addressNode(address) {
    if (!address) return "—";
    const template = data.meta && data.meta.explorer_address_url;
    const text = h("code", { title: address, class: "mono" }, shortAddress(address));
    return template ? h("a", { href: template.replace("{address}", address), rel: "noopener" }, text) : text;
  }

  /** A transaction: a link when the API gives an explorer URL, else the bare hash. */
  function txNode(ref) {
    const label = h("code", { class: "mono hash", title: ref.tx_hash, "data-tx": ref.tx_hash }, shortHash(ref.tx_hash));
    if (ref.explorer_url) return h("a", { href: ref.explorer_url, rel: "noopener", "data-tx-link": ref.tx_hash }, label);
    return label;
  }

  function showError(container, error) {
    fill(container, h("p", { class: "error", role: "alert" }, t("unavailable", { error: error.message })));
    container.removeAttribute("aria-busy");
  }

  // ---------------------------------------------------------------- charts, loaded when needed

  /** The charts' bundle (web/page/charts.ts: ECharts' parts the page uses, the network layout),
   *  imported when a chart comes near the screen: the text and figures never wait for it. */
  const chartState = { module: null, loading: null, failed: false };
  const CHART_IDS = ["utility-chart", "sankey-chart", "network-chart"];

  function chartsAvailable() {
    return chartState.module !== null;
  }

  /** In a chart's box: nothing while the bundle loads, a sentence if it could not be loaded. */
  function chartPending(container) {
    if (chartState.failed) fill(container, h("p", { class: "muted" }, t("nochart")));
    container.dataset.chart = chartState.failed ? "unavailable" : "waiting";
  }

  function loadCharts() {
    if (!chartState.loading) {
      const script = document.querySelector("script[data-charts]");
      const source = script ? script.getAttribute("data-charts") : null;
      chartState.loading = (source ? import(source) : Promise.reject(new Error("no charts")))
        .then((module) => {
          chartState.module = module;
        })
        .catch(() => {
          chartState.failed = true;
        })
        .then(() => {
          renderUtility();
          renderSankey();
          renderNetwork();
        });
    }
    return chartState.loading;
  }

  /** Load the charts when one of them is within a screen of the viewport. */
  function watchCharts() {
    if (!("IntersectionObserver" in window)) {
      loadCharts();
      return;
    }
    const observer = new IntersectionObserver(
      (entries) => {
        if (!entries.some((entry) => entry.isIntersecting)) return;
        observer.disconnect();
        loadCharts();
      },
      { rootMargin: "400px 0px" },
    );
    for (const id of CHART_IDS) observer.observe($(id));
  }

  // ---------------------------------------------------------------- header

  function renderHeader() {
    const asof = $("asof");
    const parts = [];
    if (data.pool) parts.push(t("asof", { block: intText(data.pool.as_of.block), time: timeText(data.pool.as_of.time) }));
    if (data.meta) parts.push(t("network", { network: data.meta.network, chain: data.meta.chain_id }));
    fill(asof, ...parts.flatMap((part, index) => (index ? [h("br"), part] : [part])));
    const list = $("contracts");
    if (data.meta) {
      fill(list, 
        ...Object.entries(data.meta.contracts).map(([role, info]) =>
          h(
            "li",
            {},
            role + " (" + info.contract_type + ") : ",
            info.explorer_url
              ? h("a", { href: info.explorer_url, rel: "noopener" }, h("code", {}, info.address))
              : h("code", {}, info.address),
          ),
        ),
      );
    }
  }

  // ---------------------------------------------------------------- headline figures

  /** A headline figure; amounts keep their unit in a smaller span (the text stays "12,50 tEUR"). */
  function figure(key, text) {
    const match = /^(.*?)\u00a0(\S+)$/.exec(text);
    if (!match) return h("span", { class: "value", "data-figure": key }, text);
    return h("span", { class: "value", "data-figure": key }, match[1], h("span", { class: "unit" }, "\u00a0" + match[2]));
  }

  function bucketCard(name, bucket, shareBps, extra) {
    return h(
      "article",
      { class: "card " + name, "data-bucket": name },
      h("h3", {}, t("fig." + name)),
      figure(name + ".received", amountText(bucket.received)),
      h("p", { class: "note" }, t("fig.bucket.note", { share: bpsText(shareBps) })),
      h(
        "dl",
        {},
        h("dt", {}, t("fig.available")),
        h("dd", { "data-figure": name + ".available" }, amountText(bucket.available)),
        h("dt", {}, t("fig.spent." + name)),
        h("dd", { "data-figure": name + ".spent" }, amountText(bucket.spent)),
        extra || null,
      ),
    );
  }

  /** The epoch card: the current epoch, when it ends, the points matured and pending, the cap. */
  function epochCard(pool) {
    if (pool.epoch === null || pool.epoch === undefined) return null;
    return h(
      "article",
      { class: "card epoch", "data-epoch": pool.epoch },
      h("h3", {}, t("fig.epoch")),
      figure("epoch", t("fig.epoch.number", { epoch: intText(pool.epoch) })),
      h(
        "p",
        { class: "note", "data-figure": "epoch.ends" },
        t("fig.epoch.note", { length: durationText(pool.epoch_length), end: timeText(pool.epoch_ends_at) }),
      ),
      h(
        "dl",
        {},
        h("dt", {}, t("fig.points.matured")),
        h("dd", { "data-figure": "points.matured" }, bigText(pool.matured_points)),
        h("dt", {}, t("fig.points.pending")),
        h("dd", { "data-figure": "points.pending" }, bigText(pool.pending_points)),
        h("dt", { title: t("fig.epoch.cap.help") }, t("fig.epoch.cap")),
        h("dd", { "data-figure": "epoch.cap" }, bpsText(pool.epoch_reward_cap_bps)),
        h("dt", { title: t("fig.parties_min.help") }, t("fig.parties_min")),
        h("dd", { "data-figure": "parties_min" }, bpsText(pool.parties_min_share_bps)),
      ),
    );
  }

  /** Whether the figure cards the server drew (in French, Paris time) are still what this
   *  visitor would be shown: then they are kept rather than drawn again. */
  const serverFigures = { kept: false };
  const SERVER_ZONE = "Europe/Paris";

  function renderFigures() {
    const box = $("figure-cards");
    if (errors.figures) return showError(box, errors.figures);
    if (serverFigures.kept && I18N.lang === "fr" && Intl.DateTimeFormat().resolvedOptions().timeZone === SERVER_ZONE) {
      box.dataset.state = "ready";
      return;
    }
    const { pool, utility, summary } = data;
    if (!pool || !utility || !summary) return;
    const excluded = summary.members - summary.active_members;
    const disbursed = utility.disbursed_ratio;
    const meterWidth = disbursed.value === null ? 0 : Math.min(100, Number(disbursed.value) * 100);
    fill(box, 
      h(
        "article",
        { class: "card total" },
        h("h3", {}, t("fig.total_received")),
        figure("total_received", amountText(pool.total_received)),
        h(
          "p",
          { class: "note" },
          t("fig.total_received.note", { count: intText(pool.inflow_count), balance: amountText(pool.balance) }),
        ),
      ),
      h(
        "article",
        { class: "card utility" },
        h("h3", {}, t("fig.utility")),
        figure("social_utility", percentText(disbursed.value)),
        h("div", { class: "meter", "aria-hidden": "true" }, h("span", { style: "width:" + meterWidth + "%" })),
        h("p", { class: "note" }, t("fig.utility.help")),
        h(
          "p",
          { class: "note" },
          t("fig.utility.note", {
            allocated: percentText(utility.allocated_ratio.value),
            floor: bpsText(utility.ess_floor_bps),
          }),
        ),
      ),
      bucketCard("members", pool.buckets.members, pool.shares.members_bps),
      bucketCard("ess", pool.buckets.ess, pool.shares.ess_bps, [
        h("dt", { title: t("fig.members_to_ess.help") }, t("fig.members_to_ess")),
        h("dd", { "data-figure": "ess.members_to_ess" }, amountText(pool.members_to_ess)),
      ]),
      bucketCard("collective", pool.buckets.collective, pool.shares.collective_bps),
      epochCard(pool),
      h(
        "article",
        { class: "card" },
        h("h3", {}, t("fig.member_count")),
        figure("members_count", intText(summary.members)),
        h("p", { class: "note" }, t("fig.member_count.note", { active: intText(summary.active_members), excluded: intText(excluded) })),
      ),
      h(
        "article",
        { class: "card" },
        h("h3", {}, t("fig.relations")),
        figure("relations_count", intText(summary.relations)),
        h("p", { class: "note" }, t("fig.relations.note", { amount: amountText(summary.relations_amount) })),
      ),
    );
    box.removeAttribute("aria-busy");
    box.dataset.state = "ready";
  }

  // ---------------------------------------------------------------- social utility over time

  /** How many of the most recent periods the chart asks for, per period length. */
  const UTILITY_LIMITS = { day: 90, week: 52, month: 36 };

  /** A period's first day (YYYY-MM-DD) as text: long for the table and tooltip, short for the axis. */
  function periodText(start, period, short) {
    const day = new Date(start + "T00:00:00Z");
    const format = (options) => new Intl.DateTimeFormat(locale(), { ...options, timeZone: "UTC" }).format(day);
    if (period === "month") return format({ month: short ? "short" : "long", year: "numeric" });
    const date = format(short ? { day: "numeric", month: "short", year: "2-digit" } : { dateStyle: "medium" });
    return period === "week" && !short ? t("utility.week", { date }) : date;
  }

  /** A percentage (already x 100) with at most one decimal, for the chart's axis. */
  function axisPercent(value) {
    return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 1 }).format(value / 100);
  }

  function disposeUtilityChart() {
    if (charts.utility) charts.utility.dispose();
    charts.utility = null;
  }

  function renderUtility() {
    const container = $("utility-chart");
    const tableBox = $("utility-table");
    const note = $("utility-note");
    if (errors.utility) {
      note.textContent = "";
      fill(tableBox);
      disposeUtilityChart();
      showError(container, errors.utility);
      return;
    }
    const body = data.utilitySeries;
    if (!body) return;
    const period = body.period;
    const points = body.series;
    const floor = body.ess_floor_bps;
    const floorPercent = floor === null || floor === undefined ? null : floor / 100;
    note.textContent = points.length
      ? t("utility.note", { floor: bpsText(floor), count: intText(points.length) })
      : t("utility.none");

    fill(tableBox, 
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, t("utility.col.period")),
            h("th", { scope: "col", class: "num" }, t("utility.col.disbursed")),
            h("th", { scope: "col", class: "num" }, t("utility.col.allocated")),
          ),
        ),
        h(
          "tbody",
          {},
          points.map((point) =>
            h(
              "tr",
              { "data-start": point.start },
              h("td", {}, periodText(point.start, period, false)),
              h("td", { class: "num", "data-ratio": "disbursed" }, percentText(point.disbursed_ratio.value)),
              h("td", { class: "num", "data-ratio": "allocated" }, percentText(point.allocated_ratio.value)),
            ),
          ),
        ),
      ),
    );

    if (!chartsAvailable()) {
      chartPending(container);
      return;
    }
    if (!points.length) {
      disposeUtilityChart();
      fill(container, h("p", { class: "muted" }, t("utility.none")));
      return;
    }
    const phone = isPhone();
    const names = { disbursed: t("utility.disbursed"), allocated: t("utility.allocated"), floor: t("utility.floor") };
    const line = (key) => ({
      name: names[key],
      type: "line",
      color: COLORS[key],
      symbol: key === "disbursed" ? "circle" : "diamond",
      symbolSize: phone ? 6 : 8,
      showSymbol: true,
      connectNulls: false,
      lineStyle: { width: key === "disbursed" ? 3 : 2 },
      // the chart draws the API's percent; the tooltip shows its exact decimal value
      data: points.map((point) => ({ value: point[key + "_ratio"].percent, ratio: point[key + "_ratio"].value })),
    });
    // the axis always reaches the floor, so its line is never off the chart
    const axisMax = (extent) => {
      const top = Math.max(Number.isFinite(extent.max) ? extent.max : 0, floorPercent || 0, 1);
      return Math.min(100, Math.ceil((top * 1.15) / 5) * 5);
    };
    if (!charts.utility) charts.utility = chartState.module.init(container, null, { renderer: "svg" });
    container.dataset.chart = "ready";
    charts.utility.setOption(
      {
        animation: false,
        tooltip: {
          trigger: "axis",
          confine: true,
          formatter: (params) => {
            const list = Array.isArray(params) ? params : [params];
            if (!list.length) return "";
            const point = points[list[0].dataIndex];
            const rows = [esc(periodText(point.start, period, false))];
            for (const item of list) {
              rows.push(item.marker + esc(item.seriesName) + " <b>" + esc(percentText(item.data.ratio)) + "</b>");
            }
            if (floor !== null && floor !== undefined) rows.push(esc(names.floor + " " + bpsText(floor)));
            return rows.join("<br>");
          },
        },
        legend: {
          top: 0,
          left: "center",
          itemGap: phone ? 10 : 20,
          textStyle: { fontSize: phone ? 11 : 13 },
          // the floor's entry is its dashed line alone (it has no points)
          data: [names.disbursed, names.allocated].concat(floorPercent === null ? [] : [{ name: names.floor, itemStyle: { opacity: 0 } }]),
        },
        grid: { left: phone ? 4 : 12, right: phone ? 8 : 24, top: phone ? 56 : 44, bottom: 28 },
        xAxis: {
          type: "category",
          data: points.map((point) => periodText(point.start, period, true)),
          axisLabel: { fontSize: phone ? 10 : 12, hideOverlap: true },
        },
        yAxis: {
          type: "value",
          min: 0,
          max: axisMax,
          axisLabel: { fontSize: phone ? 10 : 12, formatter: axisPercent },
        },
        series: [
          line("disbursed"),
          line("allocated"),
          {
            // no points of its own: the ESS floor is a reference line across the chart
            name: names.floor,
            type: "line",
            color: COLORS.floor,
            lineStyle: { type: "dashed", width: 2 },
            symbol: "none",
            data: [],
            markLine:
              floorPercent === null
                ? undefined
                : {
                    silent: true,
                    symbol: "none",
                    lineStyle: { color: COLORS.floor, type: "dashed", width: 2 },
                    label: {
                      position: "insideEndTop",
                      color: COLORS.floor,
                      fontSize: phone ? 10 : 12,
                      formatter: t("utility.floor.label", { floor: bpsText(floor) }),
                    },
                    data: [{ yAxis: floorPercent, name: names.floor }],
                  },
          },
        ],
      },
      true,
    );
  }

  let utilitySeq = 0;
  async function loadUtility() {
    const seq = ++utilitySeq;
    const section = $("utility");
    const period = $("utility-period").value;
    section.dataset.state = "loading";
    $("utility-chart").setAttribute("aria-busy", "true");
    try {
      const body = await getJSON("/social-utility", { period, limit: UTILITY_LIMITS[period] });
      if (seq !== utilitySeq) return;
      errors.utility = null;
      data.utilitySeries = body;
    } catch (error) {
      if (seq !== utilitySeq) return;
      errors.utility = error;
    }
    renderUtility();
    $("utility-chart").removeAttribute("aria-busy");
    section.dataset.period = period;
    section.dataset.state = "ready";
  }

  // ---------------------------------------------------------------- Sankey

  const isPhone = () => window.matchMedia("(max-width: 40rem)").matches;

  function sankeyColor(node, links) {
    if (node.id.startsWith("bucket:")) return COLORS[node.id.slice(7)] || COLORS.source;
    if (node.column === 0) return COLORS.source;
    const incoming = links.find((link) => link.target === node.id);
    const bucket = incoming ? incoming.source.replace("bucket:", "") : "";
    return COLORS[bucket] || COLORS.source;
  }

  /** The collective fund's spends to each recipient: their memos, largest first. */
  function spendMemos() {
    const memos = new Map();
    const items = data.spends ? data.spends.items.slice() : [];
    items.sort((a, b) => (BigInt(b.amount.units) > BigInt(a.amount.units) ? 1 : -1));
    for (const flow of items) {
      if (!flow.recipient || !flow.memo) continue;
      const key = flow.recipient.toLowerCase();
      if (!memos.has(key)) memos.set(key, []);
      if (!memos.get(key).includes(flow.memo)) memos.get(key).push(flow.memo);
    }
    return memos;
  }

  /** A Sankey node's label in the page's language; a spend's recipient named by its memos. */
  function sankeyLabel(node) {
    if (node && node.id.startsWith("recipient:")) {
      const memos = spendMemos().get(node.id.slice(10).toLowerCase());
      if (memos && memos.length) {
        return memos.length === 1 ? t("sankey.spend", { memo: memos[0] }) : t("sankey.spends", { memo: memos[0], more: memos.length - 1 });
      }
    }
    return I18N.lang === "fr" ? node.label : node.label_en;
  }

  /** The Sankey's height: room for one label line per node of its longest column. */
  function sankeyHeight(nodes) {
    const perColumn = new Map();
    for (const node of nodes) perColumn.set(node.column, (perColumn.get(node.column) || 0) + 1);
    const most = Math.max(1, ...perColumn.values());
    return Math.max(isPhone() ? 420 : 400, most * (isPhone() ? 34 : 30) + 24);
  }

  function renderSankey() {
    const container = $("sankey-chart");
    const tableBox = $("sankey-table");
    if (errors.sankey) {
      showError(container, errors.sankey);
      return;
    }
    const sankey = data.sankey;
    if (!sankey) return;
    const label = sankeyLabel;
    const byId = new Map(sankey.nodes.map((node) => [node.id, node]));
    const links = sankey.links.filter((link) => link.value.units !== "0");
    const used = new Set(links.flatMap((link) => [link.source, link.target]));
    // set while the chart is not drawn yet (it loads when near the screen): nothing moves then
    const height = sankeyHeight(sankey.nodes.filter((node) => used.has(node.id))) + "px";
    if (container.style.height !== height) {
      container.style.height = height;
      if (charts.sankey) charts.sankey.resize();
    }

    fill(tableBox, 
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("sankey.from")), h("th", { scope: "col" }, t("sankey.to")), h("th", { scope: "col", class: "num" }, t("sankey.amount")))),
        h(
          "tbody",
          {},
          links.map((link) =>
            h("tr", {}, h("td", {}, label(byId.get(link.source))), h("td", {}, label(byId.get(link.target))), h("td", { class: "num" }, amountText(link.value))),
          ),
        ),
      ),
    );

    if (!chartsAvailable()) {
      chartPending(container);
      return;
    }
    const phone = isPhone();
    if (!charts.sankey) {
      charts.sankey = chartState.module.init(container, null, { renderer: "svg" });
      // a project's band leads to its page
      charts.sankey.on("click", (params) => {
        if (params.dataType === "node" && params.name.startsWith("project:")) window.location.assign("/projets/" + params.name.slice(8));
      });
    }
    container.dataset.chart = "ready";
    charts.sankey.setOption(
      {
        animation: false,
        tooltip: {
          trigger: "item",
          confine: true,
          formatter: (params) => {
            if (params.dataType === "edge") {
              const from = label(byId.get(params.data.source));
              const to = label(byId.get(params.data.target));
              return esc(from) + " → " + esc(to) + "<br><b>" + esc(amountText(params.data.amount)) + "</b>";
            }
            return esc(label(byId.get(params.name)));
          },
        },
        series: [
          {
            type: "sankey",
            left: phone ? 4 : 8,
            right: phone ? 92 : 215,
            top: 8,
            bottom: 8,
            nodeWidth: phone ? 10 : 16,
            nodeGap: phone ? 18 : 14,
            nodeAlign: "justify",
            layoutIterations: 32,
            emphasis: { focus: "adjacency" },
            data: sankey.nodes
              .filter((node) => used.has(node.id))
              .map((node) => ({ name: node.id, depth: node.column, itemStyle: { color: sankeyColor(node, links) } })),
            links: links.map((link) => ({
              source: link.source,
              target: link.target,
              value: amountFloat(link.value),
              amount: link.value,
            })),
            lineStyle: { color: "gradient", opacity: 0.35, curveness: 0.5 },
            // every band keeps its label (the box is tall enough for one line each; see sankeyHeight)
            label: {
              color: "#1b2430",
              fontSize: phone ? 11 : 13,
              lineHeight: phone ? 13 : 16,
              width: phone ? 86 : 205,
              overflow: "truncate",
              formatter: (params) => label(byId.get(params.name)),
            },
          },
        ],
      },
      true,
    );
  }

  // ---------------------------------------------------------------- network graph

  /** How many of the largest members keep their label on the graph (the others on hover). */
  const LABELLED = { desktop: 8, phone: 4 };

  /** The graph's legend, outside the drawing: kinds, links, excluded members. */
  function renderNetworkLegend() {
    const swatch = (cls, color) => h("span", { class: "swatch " + cls, style: color ? "background:" + color : null, "aria-hidden": "true" });
    fill(
      $("network-legend"),
      KINDS.map((kind) => h("li", {}, swatch("dot", COLORS[kind]), t("kind." + kind))),
      h("li", {}, swatch("line sponsorship"), t("network.sponsorship")),
      h("li", {}, swatch("line relation"), t("network.relation")),
      h("li", {}, swatch("dot excluded"), t("network.excluded.legend")),
    );
  }

  /** The graph as a table: every member shown, with a link to its page. */
  function renderNetworkTable(graph) {
    const sponsorOf = (node) => (node.sponsor ? h("a", { href: "/membres/" + node.sponsor }, h("code", { class: "mono", title: node.sponsor }, shortAddress(node.sponsor))) : "—");
    fill(
      $("network-table"),
      h(
        "table",
        { class: "stack" },
        h("caption", { class: "visually-hidden" }, t("network.table")),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["network.col.member", "network.col.kind", "network.col.status", "network.col.points", "network.col.relations", "network.col.sponsor"].map((key) =>
              h("th", { scope: "col", class: key.endsWith("points") || key.endsWith("relations") ? "num" : null }, t(key)),
            ),
          ),
        ),
        h(
          "tbody",
          {},
          graph.nodes.map((node) =>
            h(
              "tr",
              { "data-member-row": node.id },
              h("td", { "data-label": t("network.col.member") }, h("a", { href: "/membres/" + node.id, title: node.id }, h("span", { class: "visually-hidden" }, t("network.member.link") + " "), h("code", { class: "mono" }, shortAddress(node.id)))),
              h("td", { "data-label": t("network.col.kind") }, t("kind." + (node.kind || "null"))),
              h("td", { "data-label": t("network.col.status") }, t("member.status." + node.status)),
              h("td", { class: "num", "data-label": t("network.col.points") }, bigText(node.points)),
              h("td", { class: "num", "data-label": t("network.col.relations") }, intText(node.relations)),
              h("td", { "data-label": t("network.col.sponsor") }, sponsorOf(node)),
            ),
          ),
        ),
      ),
    );
  }

  function renderNetwork() {
    const container = $("network-chart");
    const note = $("network-note");
    renderNetworkLegend();
    if (errors.graph) {
      showError(container, errors.graph);
      return;
    }
    const graph = data.graph;
    if (!graph) return;
    const notes = [t("network.shown", { shown: intText(graph.nodes.length), total: intText(graph.page.total) })];
    if (graph.edges_truncated) notes.push(t("network.truncated"));
    note.textContent = notes.join(" ");
    // the table is built when it is unfolded (a hundred rows nobody asked for cost a phone)
    if ($("network-table").closest("details").open) renderNetworkTable(graph);
    if (!chartsAvailable()) {
      chartPending(container);
      return;
    }
    const phone = isPhone();
    const categories = KINDS.map((kind) => ({ name: t("kind." + kind), itemStyle: { color: COLORS[kind] } }));
    const nodeById = new Map(graph.nodes.map((node) => [node.id, node]));
    const maxAmount = Math.max(1, ...graph.edges.filter((e) => e.amount).map((e) => amountFloat(e.amount)));
    // the largest members keep their label; the rest show theirs on hover
    const ranked = graph.nodes.slice().sort((a, b) => b.relations - a.relations || (a.id < b.id ? -1 : 1));
    const labelled = new Set(ranked.slice(0, phone ? LABELLED.phone : LABELLED.desktop).map((node) => node.id));
    // a layout of our own (web/page/layout.ts): the same picture on every load, in the chart's
    // pixels inside margins as wide as half a label, so nothing is cut at the edges
    const margin = { x: phone ? 34 : 40, y: 6 };
    const width = Math.max(100, container.clientWidth - 2 * margin.x);
    const height = Math.max(100, container.clientHeight - 2 * margin.y);
    const sizeOf = (node) => (phone ? 8 : 10) + (phone ? 2.5 : 3.5) * Math.sqrt(node.relations);
    const positions = chartState.module.layoutNetwork(
      graph.nodes.map((node) => ({ id: node.id, radius: sizeOf(node) / 2, labelled: labelled.has(node.id) })),
      graph.edges.map((edge) => ({ source: edge.source, target: edge.target })),
      width,
      height,
    );
    if (!charts.network) {
      charts.network = chartState.module.init(container, null, { renderer: "svg" });
      // a member clicked in the graph is shown below it
      charts.network.on("click", (params) => {
        if (params.dataType === "node") showMember(params.data.name);
      });
    }
    container.dataset.chart = "ready";
    charts.network.setOption(
      {
        animation: false,
        tooltip: {
          confine: true,
          formatter: (params) => {
            if (params.dataType === "edge") {
              const edge = params.data.edge;
              const head = esc(shortAddress(edge.source) + " → " + shortAddress(edge.target));
              if (edge.type === "sponsorship") return esc(t("network.sponsorship")) + "<br>" + head;
              const what = t("network.relations", { count: edge.count, amount: amountText(edge.amount) });
              return esc(t("network.relation")) + "<br>" + head + "<br>" + esc(what);
            }
            const node = nodeById.get(params.data.name);
            const kind = t("kind." + (node.kind || "null"));
            const status = node.status === "excluded" ? " (" + t("network.excluded") + ")" : "";
            const points = t("network.points", { points: intText(node.points), relations: node.relations });
            return esc(node.id) + "<br>" + esc(kind + status) + "<br>" + esc(points);
          },
        },
        series: [
          {
            type: "graph",
            layout: "none",
            roam: false,
            left: margin.x,
            right: margin.x,
            top: margin.y,
            bottom: margin.y,
            categories,
            label: {
              show: false,
              position: "bottom",
              distance: 2,
              fontSize: phone ? 10 : 11,
              color: "#1b2430",
              // a white halo keeps a label readable over the links
              textBorderColor: "#fff",
              textBorderWidth: 3,
              formatter: (p) => shortAddress(p.data.name),
            },
            emphasis: { focus: "adjacency", label: { show: true } },
            edgeSymbol: ["none", "arrow"],
            edgeSymbolSize: 7,
            data: graph.nodes.map((node) => {
              const at = positions.get(node.id);
              return {
                name: node.id,
                x: at.x,
                y: at.y,
                category: Math.max(0, KINDS.indexOf(node.kind)),
                symbolSize: sizeOf(node),
                label: { show: labelled.has(node.id) },
                itemStyle:
                  node.status === "excluded"
                    ? { opacity: 0.45, borderColor: "#1b2430", borderType: "dashed", borderWidth: 1.5 }
                    : { borderColor: "#fff", borderWidth: 1 },
              };
            }),
            links: graph.edges.map((edge) => ({
              source: edge.source,
              target: edge.target,
              edge,
              lineStyle:
                edge.type === "sponsorship"
                  ? { type: "dashed", color: COLORS.sponsorship, width: 1.2, curveness: 0 }
                  : {
                      type: "solid",
                      color: COLORS.relation,
                      opacity: 0.65,
                      width: 1 + 4 * Math.sqrt(amountFloat(edge.amount) / maxAmount),
                      curveness: 0.2,
                    },
            })),
          },
        ],
      },
      true,
    );
  }

  // ---------------------------------------------------------------- one member

  const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

  /** A member's points: matured, and pending with the date they mature. */
  function renderMember() {
    const panel = $("member-panel");
    const entry = data.member;
    if (!entry) {
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    panel.dataset.address = entry.address;
    if (entry.loading) {
      panel.dataset.state = "loading";
      fill(panel, h("p", { class: "muted" }, t("loading")));
      return;
    }
    panel.dataset.state = "ready";
    if (entry.error) {
      const message =
        entry.error === "invalid" ? t("member.invalid")
        : entry.error.status === 404 ? t("member.notfound")
        : t("unavailable", { error: entry.error.message });
      fill(panel, h("p", { class: "error", role: "alert" }, message));
      return;
    }
    fill(panel, memberContent(entry.member, true));
  }

  /** A member's figures (the panel below the graph, and the member's own page). */
  function memberContent(m, linked) {
    const pending = m.pending_points !== "0";
    return [
      h(
        "h3",
        {},
        h("code", { class: "mono", title: m.address }, m.address),
        " ",
        h("span", { class: "badge " + (m.status === "excluded" ? "bad" : "ok") }, t("member.status." + m.status)),
      ),
      h("p", { class: "muted" }, t("kind." + (m.kind || "null")), m.explorer_url ? [" · ", h("a", { href: m.explorer_url, rel: "noopener" }, t("member.explorer"))] : null),
      h(
        "dl",
        {},
        h("dt", {}, t("member.matured")),
        h("dd", { "data-member": "matured_points" }, bigText(m.matured_points)),
        h("dt", {}, t("member.pending")),
        h(
          "dd",
          {},
          h("span", { "data-member": "pending_points" }, bigText(m.pending_points)),
          pending
            ? h("span", { class: "muted", "data-member": "matures_at", "data-time": m.matures_at }, " " + t("member.matures", { date: timeText(m.matures_at), epoch: intText(m.pending_epoch) }))
            : null,
        ),
        h("dt", {}, t("member.claimable")),
        h("dd", { "data-member": "claimable" }, amountText(m.claimable)),
        h("dt", {}, t("member.earned")),
        h("dd", { "data-member": "earned" }, amountText(m.earned)),
        h("dt", {}, t("member.relations")),
        h("dd", { "data-member": "relations" }, t("member.relations.value", { paid: intText(m.relations_paid), received: intText(m.relations_received) })),
        h("dt", {}, t("member.vote")),
        h("dd", { "data-member": "votes_from", "data-time": m.votes_from, "data-can-vote": String(m.can_vote) }, voteText(m)),
        h("dt", {}, t("member.invitations")),
        h("dd", { "data-member": "invitations" }, invitationsText(m)),
      ),
      m.pending_invitations && m.pending_invitations.length
        ? [
            h("h4", { class: "subtitle" }, t("member.pending_invitations")),
            h(
              "ul",
              { class: "plain" },
              m.pending_invitations.map((invitation) =>
                h(
                  "li",
                  { "data-invitation": invitation.invitee },
                  t("member.invitation", {
                    invitee: shortAddress(invitation.invitee),
                    kind: t("kind." + (invitation.kind || "null")),
                    time: timeText(invitation.expires_at),
                  }),
                  " ",
                  h("span", { class: "badge " + invitation.status }, t("istatus." + invitation.status)),
                ),
              ),
            ),
          ]
        : null,
      h("p", { class: "note muted" }, t("member.help")),
      linked ? h("p", {}, h("a", { href: "/membres/" + m.address, "data-member-link": m.address }, t("member.permalink"))) : null,
    ];
  }

  /** When a member's vote counts: since the end of its probation, or from then on. */
  function voteText(m) {
    if (m.status === "excluded") return t("member.vote.excluded");
    if (m.can_vote) return t("member.vote.counts", { time: timeText(m.votes_from) });
    return t("member.vote.probation", { time: timeText(m.votes_from) });
  }

  /** The invitations a member may send now, and when the next accrues. */
  function invitationsText(m) {
    const parts = [t("member.invitations.value", { count: intText(m.invitations_available) })];
    if (m.next_invitation_at) parts.push(t("member.invitations.next", { time: timeText(m.next_invitation_at) }));
    else if (m.status === "active") parts.push(t("member.invitations.full"));
    return parts.join(" · ");
  }

  let memberSeq = 0;
  /** Fetch and show the member at `address` (from the form or a click in the graph). */
  async function showMember(address) {
    const seq = ++memberSeq;
    const text = String(address || "").trim();
    $("member-address").value = text;
    if (!ADDRESS.test(text)) {
      data.member = { address: text, error: "invalid" };
      renderMember();
      return;
    }
    data.member = { address: text, loading: true };
    renderMember();
    let entry;
    try {
      entry = { address: text, member: await getJSON("/members/" + text) };
    } catch (error) {
      entry = { address: text, error };
    }
    if (seq !== memberSeq) return;
    data.member = entry;
    renderMember();
  }

  // ---------------------------------------------------------------- ESS directory

  function fillSelect(select, values, labelOf) {
    const current = select.value;
    fill(select, 
      h("option", { value: "" }, t("directory.any")),
      ...values.map((facet) => h("option", { value: facet.value }, labelOf(facet) + " (" + facet.count + ")")),
    );
    select.value = values.some((facet) => facet.value === current) ? current : "";
  }

  function renderFacets() {
    const facets = data.facets || { regions: [], departments: [], themes: [], legal_forms: [] };
    fillSelect($("dir-region"), facets.regions, (f) => f.label);
    fillSelect($("dir-department"), facets.departments, (f) => f.value + " — " + f.label);
    fillSelect($("dir-theme"), facets.themes, (f) => f.label);
    fillSelect($("dir-legal"), facets.legal_forms, (f) => f.label);
  }

  function projectNode(project) {
    const title = project.name || t("project.unnamed", { id: project.id });
    const places = project.territories.map((territory) =>
      territory.department_name ? territory.department_name + " (" + territory.department + ")" : territory.code,
    );
    const uniquePlaces = [...new Set(places)];
    return h(
      "li",
      { class: "project", "data-project-id": project.id },
      h("h3", {}, h("a", { href: "/projets/" + project.id }, title)),
      h(
        "p",
        { class: "chips" },
        project.active
          ? h("span", { class: "badge active-project" }, t("project.active"))
          : project.awaiting_activation
            ? h("span", { class: "badge warn", "data-awaiting": project.id }, t("project.awaiting"))
            : h("span", { class: "badge inactive" }, t("project.inactive")),
        h("span", { class: "badge " + project.metadata_status }, t("project.status." + project.metadata_status)),
      ),
      project.legal_form ? h("p", { class: "muted" }, project.legal_form) : null,
      project.themes.length ? h("ul", { class: "chips" }, project.themes.map((theme) => h("li", { class: "chip theme" }, theme))) : null,
      uniquePlaces.length ? h("ul", { class: "chips" }, uniquePlaces.map((place) => h("li", { class: "chip" }, place))) : null,
      project.description ? h("p", {}, project.description) : null,
      h("p", { "data-funded": project.id }, t("project.funded", { amount: amountText(project.funded_total), count: intText(project.funding_count) })),
      project.inactive_reason ? h("p", { class: "muted" }, reasonText(project)) : null,
      h("p", { class: "muted" }, t("project.wallet.version", { version: project.wallet_version }) + " : ", addressNode(project.payout_wallet)),
    );
  }

  /** Why an inactive project is. */
  function reasonText(project) {
    return t("reason." + project.inactive_reason, { version: project.wallet_version });
  }

  function renderDirectory() {
    const list = $("directory-results");
    const count = $("directory-count");
    if (errors.directory) {
      count.textContent = "";
      showError(list, errors.directory);
      return;
    }
    const dir = data.directory;
    count.textContent = t("directory.count", { count: intText(dir.total) });
    if (!dir.items.length) fill(list, h("li", { class: "muted" }, t("directory.none")));
    else fill(list, ...dir.items.map(projectNode));
    $("directory-more").hidden = dir.next === null;
  }

  function directoryParams() {
    const form = $("directory-form");
    const params = {};
    for (const [key, value] of new FormData(form).entries()) {
      const text = String(value).trim();
      if (text) params[key] = text;
    }
    return params;
  }

  let directorySeq = 0;
  async function loadDirectory(append) {
    const seq = ++directorySeq;
    const list = $("directory-results");
    const params = append ? data.directory.params : directoryParams();
    const offset = append ? data.directory.next : 0;
    list.setAttribute("aria-busy", "true");
    list.dataset.state = "loading";
    try {
      const page = await getJSON("/ess/projects", { ...params, limit: 20, offset });
      if (seq !== directorySeq) return;
      errors.directory = null;
      data.directory = {
        items: append ? data.directory.items.concat(page.items) : page.items,
        total: page.page.total,
        next: page.page.next_offset,
        params,
      };
    } catch (error) {
      if (seq !== directorySeq) return;
      errors.directory = error;
    }
    renderDirectory();
    list.removeAttribute("aria-busy");
    list.dataset.state = "ready";
    list.dataset.query = JSON.stringify(params);
  }

  let directoryTimer = null;
  function scheduleDirectory() {
    window.clearTimeout(directoryTimer);
    directoryTimer = window.setTimeout(() => loadDirectory(false), 300);
  }

  // ---------------------------------------------------------------- proposals

  function voteBar(proposal) {
    const members = Math.max(1, proposal.quorum.members_at_snapshot);
    const pct = (value) => Math.min(100, (Number(value) / members) * 100);
    const tally = proposal.tally;
    const required = Number(proposal.quorum.required);
    const label = t("proposal.bar", {
      for: tally.for_votes,
      against: tally.against_votes,
      abstain: tally.abstain_votes,
      members: proposal.quorum.members_at_snapshot,
      required,
    });
    return h(
      "div",
      { class: "votebar", role: "img", "aria-label": label, title: label },
      h("span", { class: "for", style: "width:" + pct(tally.for_votes) + "%" }),
      h("span", { class: "abstain", style: "width:" + pct(tally.abstain_votes) + "%" }),
      h("span", { class: "against", style: "width:" + pct(tally.against_votes) + "%" }),
      h("i", { class: "quorum", style: "left:" + pct(required) + "%", "aria-hidden": "true" }),
    );
  }

  /** The arguments of governance calls that are token amounts, by function. */
  const AMOUNT_ARGS = {
    fundEssProject: ["amount"],
    setCollectiveBudget: ["amount"],
    setMinRelationFee: ["newFee"],
    setMembershipFee: ["fee"],
  };

  /** A decoded call's arguments; token amounts read as amounts, not as integer units. */
  function argsText(action) {
    const amounts = AMOUNT_ARGS[action.function] || [];
    const shown = (name, value) => {
      if (amounts.includes(name) && /^[0-9]+$/.test(String(value)) && tokenDecimals() !== null) return amountText({ units: String(value) });
      return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
    };
    return Object.entries(action.args)
      .map(([name, value]) => name + "=" + shown(name, value))
      .join(", ");
  }

  function renderProposalDetail(box, id) {
    const entry = data.details.get(id);
    if (!entry) return;
    if (entry.error) {
      showError(box, entry.error);
      return;
    }
    const { detail, votes } = entry;
    // the description ends with the proposer's address, which the Governor requires (shown above)
    const text = detail.description.replace(/\s*#proposer=0x[0-9a-fA-F]{40}$/, "");
    fill(box, 
      text !== detail.title ? h("p", { class: "description" }, text) : null,
      h("h4", {}, t("proposal.actions")),
      h(
        "ol",
        {},
        detail.actions.map((action) =>
          h(
            "li",
            {},
            h("code", {}, (action.contract || shortAddress(action.target)) + "." + (action.function || action.calldata.slice(0, 10))),
            action.decoded ? h("span", { class: "args" }, " (" + argsText(action) + ")") : null,
            action.payout && action.payout.void
              ? h(
                  "span",
                  { class: "warn", "data-void": action.index },
                  " — " + t("proposal.payout.void", { version: action.payout.wallet_version, current: action.payout.current_wallet_version }),
                )
              : null,
          ),
        ),
      ),
      h("h4", {}, t("proposal.timeline")),
      h(
        "ul",
        {},
        detail.timeline
          .filter((step) => step.done)
          .map((step) =>
            h("li", {}, t("step." + step.step) + " : " + timeText(step.time) + " ", step.tx_hash ? txNode({ tx_hash: step.tx_hash, explorer_url: step.explorer_url }) : null),
          ),
      ),
      h("h4", {}, t("proposal.votes")),
      votes.items.length
        ? h(
            "ul",
            {},
            votes.items.map((vote) =>
              h(
                "li",
                {},
                addressNode(vote.voter),
                " — ",
                h("strong", {}, t("support." + vote.support)),
                vote.weight === "0" ? h("span", { class: "muted", "data-zero-weight": vote.voter }, " (" + t("vote.zero") + ")") : null,
                vote.reason ? " « " + vote.reason + " » " : " ",
                txNode(vote),
              ),
            ),
          )
        : h("p", { class: "muted" }, t("proposal.novotes")),
    );
  }

  async function loadProposalDetail(box, id) {
    if (!data.details.has(id)) {
      fill(box, h("p", { class: "muted" }, t("loading")));
      try {
        const [detail, votes] = await Promise.all([
          getJSON("/governance/proposals/" + id),
          getJSON("/governance/proposals/" + id + "/votes", { limit: 200 }),
        ]);
        data.details.set(id, { detail, votes });
      } catch (error) {
        data.details.set(id, { error });
      }
    }
    renderProposalDetail(box, id);
  }

  function proposalNode(proposal) {
    const tally = proposal.tally;
    const quorum = proposal.quorum;
    const detailBox = h("div", { class: "proposal-detail" });
    const details = h("details", {}, h("summary", {}, t("proposal.details"), h("span", { class: "visually-hidden" }, " : " + proposal.title)), detailBox);
    details.addEventListener("toggle", () => {
      if (details.open) loadProposalDetail(detailBox, proposal.id);
    });
    return h(
      "li",
      { class: "proposal", "data-proposal-id": proposal.id, "data-state": proposal.state },
      h(
        "div",
        { class: "proposal-head" },
        h("h3", {}, proposal.title),
        h("span", { class: "badge " + proposal.state }, t("state." + proposal.state)),
      ),
      h(
        "p",
        { class: "meta" },
        t("proposal.by", { who: shortAddress(proposal.proposer), time: timeText(proposal.created_at) }),
        proposal.explorer_url ? [" · ", h("a", { href: proposal.explorer_url, rel: "noopener" }, t("flows.tx"))] : null,
      ),
      proposal.guardian_cancellation
        ? h(
            "p",
            { class: "guardian-reason", "data-guardian-reason": proposal.id },
            t("proposal.guardian", { reason: proposal.guardian_cancellation.reason }),
          )
        : null,
      expiryNode(proposal),
      proposal.void ? h("p", { class: "warn", "data-void-proposal": proposal.id }, t("proposal.void")) : null,
      voteBar(proposal),
      h(
        "ul",
        { class: "tally" },
        h("li", { "data-vote": "for" }, h("span", { class: "dot for", "aria-hidden": "true" }), t("proposal.for") + " " + tally.for_votes),
        h("li", { "data-vote": "against" }, h("span", { class: "dot against", "aria-hidden": "true" }), t("proposal.against") + " " + tally.against_votes),
        h("li", { "data-vote": "abstain" }, h("span", { class: "dot abstain", "aria-hidden": "true" }), t("proposal.abstain") + " " + tally.abstain_votes),
      ),
      h(
        "p",
        { class: "meta" },
        t("proposal.quorum", { counted: quorum.counted, required: quorum.required }) + " ",
        h("span", { class: "badge " + (quorum.reached ? "ok" : "warn") }, t(quorum.reached ? "proposal.quorum.reached" : "proposal.quorum.missing")),
        " · " +
          t("proposal.turnout", {
            turnout: quorum.turnout_percent === null ? "—" : percentText(quorum.turnout_percent / 100),
            voters: tally.voters,
            members: quorum.members_at_snapshot,
          }),
      ),
      details,
    );
  }

  /** When an approval expires (to be executed before), or that it has. */
  function expiryNode(proposal) {
    if (!proposal.expires_at) return null;
    if (proposal.state === "expired") {
      return h("p", { class: "meta", "data-expiry": proposal.id }, t("proposal.expired", { time: timeText(proposal.expires_at) }));
    }
    if (proposal.state === "succeeded" || proposal.state === "queued") {
      return h("p", { class: "meta", "data-expiry": proposal.id }, t("proposal.expires", { time: timeText(proposal.expires_at) }));
    }
    return null;
  }

  function renderProposals() {
    const list = $("proposal-list");
    if (errors.proposals) return showError(list, errors.proposals);
    const items = data.proposals.items;
    if (!items.length) fill(list, h("li", { class: "muted" }, t("proposals.none")));
    else fill(list, ...items.map(proposalNode));
    $("proposals-more").hidden = data.proposals.next === null;
  }

  async function loadProposals(append) {
    try {
      const page = await getJSON("/governance/proposals", { limit: 10, offset: append ? data.proposals.next : 0 });
      errors.proposals = null;
      data.proposals = {
        items: append ? data.proposals.items.concat(page.items) : page.items,
        total: page.page.total,
        next: page.page.next_offset,
      };
    } catch (error) {
      errors.proposals = error;
    }
    renderProposals();
  }

  // ---------------------------------------------------------------- governance safeguards

  /** A figure card of the safeguards: title, headline value, note, extra children. */
  function safeCard(key, title, value, note, ...extra) {
    return h("article", { class: "card safe", "data-safe": key }, h("h3", {}, title), figure(key, value), note ? h("p", { class: "note" }, note) : null, ...extra);
  }

  function budgetCard(budget) {
    const spent = budget.spent;
    const amount = budget.amount;
    const width = amount && Number(amount.units) > 0 ? Math.min(100, (Number(spent.units) / Number(amount.units)) * 100) : 0;
    const running = budget.period_start !== null;
    const period = budget.period ? durationText(budget.period) : "—";
    return h(
      "article",
      { class: "card safe", "data-safe": "budget" },
      h("h3", {}, t("safe.budget")),
      figure("budget.spent", amountText(spent)),
      h("p", { class: "note", "data-figure": "budget.amount" }, t("safe.budget.of", { amount: amountText(amount) })),
      h("div", { class: "meter budget", "aria-hidden": "true" }, h("span", { style: "width:" + width + "%" })),
      h(
        "p",
        { class: "note" },
        running
          ? t("safe.budget.period", { period, start: timeText(budget.period_start), end: timeText(budget.period_ends_at) })
          : t("safe.budget.idle", { amount: amountText(amount), period }),
      ),
      h("dl", {}, h("dt", {}, t("safe.budget.left")), h("dd", { "data-figure": "budget.left" }, amountText(budget.left))),
    );
  }

  function renderSafeguardCards() {
    const box = $("safeguard-cards");
    if (errors.safeguards) return showError(box, errors.safeguards);
    const settings = data.settings;
    if (!settings || !data.pool) return;
    const floor = settings.quorum_floor === null ? "—" : intText(settings.quorum_floor);
    const duration = (seconds) => (seconds === null || seconds === undefined ? "—" : durationText(seconds));
    fill(
      box,
      budgetCard(data.pool.steward_budget),
      safeCard(
        "quorum",
        t("safe.quorum"),
        t("safe.quorum.value", { floor }),
        t("safe.quorum.note", { numerator: settings.quorum_numerator === null ? "—" : intText(settings.quorum_numerator), floor }),
      ),
      safeCard("grace", t("safe.grace"), duration(settings.approval_grace_period), t("safe.grace.note")),
      h(
        "article",
        { class: "card safe", "data-safe": "guardian" },
        h("h3", {}, t("safe.guardian")),
        h("p", { class: "value small", "data-figure": "guardian" }, settings.guardian ? addressNode(settings.guardian) : t("safe.guardian.none")),
        h("p", { class: "note" }, t("safe.guardian.note")),
      ),
      safeCard(
        "probation",
        t("safe.admission"),
        t("safe.admission.value", { probation: duration(settings.probation) }),
        t("safe.admission.note", {
          refill: duration(settings.invitation_refill_period),
          cap: settings.invitation_cap === null ? "—" : intText(settings.invitation_cap),
          ttl: duration(settings.invitation_ttl),
          attesters: intText(settings.attesters),
        }),
      ),
    );
    box.removeAttribute("aria-busy");
    box.dataset.state = "ready";
  }

  /** A panel of the safeguards: a title, a help line, the items or a sentence saying there are none. */
  function safePanel(id, title, help, items, none) {
    const panel = $(id);
    if (errors.safeguards) return showError(panel, errors.safeguards);
    fill(
      panel,
      h("h3", {}, title),
      help ? h("p", { class: "note muted" }, help) : null,
      items.length ? h("ul", { class: "plain safe-list" }, items) : h("p", { class: "muted" }, none),
    );
    panel.dataset.state = "ready";
  }

  function renderSafeguards() {
    renderSafeguardCards();
    const lists = data.safeguards;
    if (!lists && !errors.safeguards) return;
    const { cancellations, expired, awaiting, probation } = lists || { cancellations: [], expired: [], awaiting: [], probation: [] };
    safePanel(
      "guardian-panel",
      t("safe.cancellations"),
      null,
      cancellations.map((item) =>
        h(
          "li",
          { "data-guardian-cancel": item.proposal_id },
          h("strong", {}, item.title),
          h("p", { class: "guardian-reason", "data-reason": item.proposal_id }, t("safe.reason", { reason: item.reason })),
          h(
            "p",
            { class: "note muted" },
            t("safe.cancellation.meta", { time: timeText(item.time), guardian: shortAddress(item.guardian) }),
            item.tx_hash ? [" · ", txNode({ tx_hash: item.tx_hash, explorer_url: item.explorer_url })] : null,
          ),
        ),
      ),
      t("safe.cancellations.none"),
    );
    safePanel(
      "expired-panel",
      t("safe.expired"),
      t("safe.expired.help"),
      expired.map((item) =>
        h("li", { "data-expired": item.id }, h("strong", {}, item.title), " — ", t("safe.expired.item", { time: timeText(item.expires_at) })),
      ),
      t("safe.expired.none"),
    );
    safePanel(
      "awaiting-panel",
      t("safe.awaiting"),
      t("safe.awaiting.help"),
      awaiting.map((project) =>
        h(
          "li",
          { "data-awaiting-project": project.id },
          h("strong", {}, project.name || t("project.unnamed", { id: project.id })),
          " — ",
          reasonText(project),
        ),
      ),
      t("safe.awaiting.none"),
    );
    safePanel(
      "probation-panel",
      t("safe.probation"),
      null,
      probation.map((member) =>
        h(
          "li",
          { "data-probation": member.address },
          addressNode(member.address),
          " (" + t("kind." + (member.kind || "null")) + ") — ",
          h("span", { "data-time": member.votes_from }, t("safe.probation.item", { time: timeText(member.votes_from) })),
        ),
      ),
      t("safe.probation.none"),
    );
  }

  async function loadSafeguards() {
    try {
      const [cancellations, expired, awaiting, probation] = await Promise.all([
        getJSON("/governance/guardian-cancellations", { limit: 20 }),
        getJSON("/governance/proposals", { state: "expired", limit: 20 }),
        getJSON("/ess/projects", { awaiting_activation: "true", sort: "id", limit: 20 }),
        getJSON("/members", { in_probation: "true", limit: 20 }),
      ]);
      data.safeguards = {
        cancellations: cancellations.items,
        expired: expired.items,
        awaiting: awaiting.items,
        probation: probation.items,
      };
    } catch (error) {
      errors.safeguards = error;
    }
    renderSafeguards();
  }

  // ---------------------------------------------------------------- flows table

  /** A project's name from the directory page or the Sankey's nodes, else its number. */
  function projectName(id) {
    const project = data.directory.items.find((p) => p.id === id);
    if (project && project.name) return project.name;
    const node = data.sankey && data.sankey.nodes.find((n) => n.id === "project:" + id);
    return node ? (I18N.lang === "fr" ? node.label : node.label_en) : "#" + id;
  }

  function flowDetail(flow) {
    if (flow.direction === "in" && flow.split) {
      const split = flow.split;
      const parts = {
        members: amountText(split.members),
        ess: amountText(split.ess),
        collective: amountText(split.collective),
        to_ess: amountText(flow.members_to_ess),
      };
      const toEss = flow.members_to_ess && flow.members_to_ess.units !== "0";
      return t(toEss ? "flows.split.to_ess" : "flows.split", parts);
    }
    const parts = [t("bucket." + flow.bucket)];
    if (flow.project_id) {
      parts.push("→ " + projectName(flow.project_id));
    } else if (flow.recipient) parts.push("→ " + shortAddress(flow.recipient));
    if (flow.memo) parts.push("« " + flow.memo + " »");
    return parts.join(" ");
  }

  function flowRow(flow) {
    const kindClass = flow.direction === "in" ? "kind-in" : "kind-out";
    const arrow = flow.direction === "in" ? "↘ " : "↗ ";
    return h(
      "tr",
      { "data-flow-id": flow.id },
      h("td", { "data-label": t("flows.date") }, timeText(flow.time)),
      h("td", { "data-label": t("flows.kind"), class: kindClass }, arrow + t("flow." + flow.kind)),
      h("td", { "data-label": t("flows.amount"), class: "num" }, amountText(flow.amount)),
      h("td", { "data-label": t("flows.detail") }, flowDetail(flow)),
      h(
        "td",
        { "data-label": t("flows.tx") },
        h("span", {}, txNode(flow), flow.explorer_url ? null : h("span", { class: "muted" }, " · " + t("asof.short", { block: flow.block_number }))),
      ),
    );
  }

  function renderFlows() {
    const body = $("flows-body");
    if (errors.flows) {
      fill(body, h("tr", {}, h("td", { colspan: 5, class: "error", role: "alert" }, t("unavailable", { error: errors.flows.message }))));
      return;
    }
    const items = data.flows.items;
    if (!items.length) fill(body, h("tr", {}, h("td", { colspan: 5, class: "muted" }, t("flows.none"))));
    else fill(body, ...items.map(flowRow));
    $("flows-more").hidden = data.flows.next === null;
  }

  async function loadFlows(append) {
    const direction = $("flows-direction").value;
    try {
      const page = await getJSON("/flows", { limit: isPhone() ? 10 : 25, direction, cursor: append ? data.flows.next : null });
      errors.flows = null;
      data.flows = {
        items: append ? data.flows.items.concat(page.items) : page.items,
        next: page.next_cursor,
        direction,
      };
    } catch (error) {
      errors.flows = error;
    }
    renderFlows();
  }

  // ---------------------------------------------------------------- reconciliation and health

  function figureValue(figure, side) {
    const raw = side === "db" ? figure.database : figure.chain;
    const display = side === "db" ? figure.database_display : figure.chain_display;
    if (raw === null || raw === undefined) return "—";
    if (figure.unit === "amount") return amountText({ units: raw, display });
    if (figure.unit === "bps") return bpsText(Number(raw));
    if (figure.unit === "address") return addressNode(raw);
    if (figure.unit === "count") return intText(raw);
    return h("span", { class: "mono" }, display || raw);
  }

  function renderReconciliation() {
    const panel = $("recon-panel");
    if (errors.recon) return showError(panel, errors.recon);
    const recon = data.recon;
    if (!recon) return;
    const ok = recon.figures.filter((f) => f.status !== "mismatch").length;
    const label = (figure) => (I18N.has("recfig." + figure.name) ? t("recfig." + figure.name) : figure.label);
    const table = h(
      "table",
      { class: "recon-table stack" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, t("recon.figure")),
          h("th", { scope: "col", class: "num" }, t("recon.database")),
          h("th", { scope: "col", class: "num" }, t("recon.chain")),
          h("th", { scope: "col" }, t("recon.state")),
        ),
      ),
      h(
        "tbody",
        {},
        recon.figures.map((figure) =>
          h(
            "tr",
            { "data-recon": figure.name },
            h("th", { scope: "row" }, label(figure)),
            h("td", { class: "num", "data-label": t("recon.database") }, figureValue(figure, "db")),
            h("td", { class: "num", "data-label": t("recon.chain") }, figureValue(figure, "chain")),
            h("td", { "data-label": t("recon.state") }, h("span", { class: "badge " + figure.status }, t("fstatus." + figure.status))),
          ),
        ),
      ),
    );
    fill(panel, 
      h("h3", {}, t("recon.panel"), h("span", { class: "badge " + recon.status, id: "recon-status", "data-status": recon.status }, t("recon.status." + recon.status))),
      h("p", {}, t("recon.summary", { ok, total: recon.figures.length, block: intText(recon.as_of.block) })),
      h("details", { open: recon.status !== "ok" }, h("summary", {}, t("recon.show", { count: recon.figures.length })), table),
    );
  }

  function renderAudit() {
    const panel = $("audit-panel");
    if (errors.audit) return showError(panel, errors.audit);
    const audit = data.audit;
    if (!audit) return;
    if (!audit.available) {
      fill(panel, h("h3", {}, t("audit.title")), h("p", { id: "audit-result", "data-result": "none" }, t("audit.none")));
      return;
    }
    const ok = audit.result === "RECONCILED";
    const rows = audit.resources.map((r) =>
      h(
        "tr",
        { "data-resource": r.name },
        h("th", { scope: "row" }, r.name),
        h("td", { class: "num", "data-label": t("audit.checked") }, intText(r.checked)),
        h("td", { class: "num", "data-label": t("audit.differences") }, intText(r.differences + r.problems)),
      ),
    );
    fill(panel,
      h(
        "h3",
        {},
        t(audit.full ? "audit.title" : "audit.title.sample"),
        h("span", { class: "badge " + (ok ? "ok" : "mismatch"), id: "audit-status", "data-result": audit.result }, t(ok ? "audit.ok" : "audit.ko")),
      ),
      h(
        "p",
        { id: "audit-result", "data-block": audit.block },
        t("audit.summary", {
          block: intText(audit.block),
          when: timeText(audit.audited_at),
          checked: intText(audit.checked),
          differences: intText(audit.differences + audit.failures),
        }),
      ),
      h(
        "details",
        { open: !ok },
        h("summary", {}, t("audit.show", { count: audit.resources.length })),
        h(
          "table",
          { class: "recon-table stack" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("audit.resource")), h("th", { scope: "col", class: "num" }, t("audit.checked")), h("th", { scope: "col", class: "num" }, t("audit.differences")))),
          h("tbody", {}, rows),
        ),
      ),
      h("p", { class: "help" }, t("audit.rerun"), " ", h("code", { class: "mono" }, audit.command)),
      audit.report_url ? h("p", {}, h("a", { href: audit.report_url }, t("audit.report"))) : null,
    );
  }

  function renderHealth() {
    const panel = $("health-panel");
    if (errors.health) return showError(panel, errors.health);
    const health = data.health;
    if (!health) return;
    const statusClass = health.status === "ok" ? "ok" : health.status === "degraded" ? "warn" : "bad";
    const reach = (ok) => t(ok ? "health.reachable" : "health.unreachable");
    const lag = health.indexer.lag_blocks;
    fill(panel, 
      h("h3", {}, t("health.title"), h("span", { class: "badge " + statusClass, "data-status": health.status }, t("health.status." + health.status))),
      h(
        "p",
        { id: "indexer-lag", "data-lag": lag === null ? "" : lag },
        lag === null
          ? t("health.lag.unknown")
          : t("health.lag", {
              lag: intText(lag),
              checkpoint: intText(health.indexer.checkpoint_block),
              head: intText(health.indexer.head),
            }),
      ),
      h("p", {}, t("health.db", { state: reach(health.database.reachable) })),
      h("p", {}, t("health.chain", { state: reach(health.chain.reachable) })),
    );
  }

  // ---------------------------------------------------------------- loading

  /** Let the browser paint and handle input before the next piece of work. */
  function nextTask() {
    return new Promise((resolve) => window.setTimeout(resolve, 0));
  }

  async function settle(key, promise) {
    try {
      return await promise;
    } catch (error) {
      errors[key] = error;
      return null;
    }
  }

  /** Every section's data; `first` holds answers the server inlined (used once, at start). */
  async function loadAll(first) {
    for (const key of ["figures", "sankey", "graph", "recon", "audit", "health", "safeguards"]) errors[key] = null;
    const given = (key, path, params) => (first && first[key] ? Promise.resolve(first[key]) : getJSON(path, params));
    const [meta, pool, utility, summary, sankey, graph, facets, recon, audit, health, settings, spends] = await Promise.all([
      settle("figures", given("meta", "/meta")),
      settle("figures", given("pool", "/pool")),
      // the headline uses the current ratios only; the chart asks for its own series
      settle("figures", given("utility", "/social-utility", { limit: 1 })),
      settle("figures", given("summary", "/network/summary", { limit: 24 })),
      settle("sankey", getJSON("/flows/sankey")),
      settle("graph", getJSON("/network/graph", { limit: 200, max_edges: 1000 })),
      settle("facets", getJSON("/ess/facets")),
      settle("recon", getJSON("/reconciliation")),
      settle("audit", getJSON("/audit")),
      settle("health", getJSON("/health")),
      settle("safeguards", getJSON("/governance/settings")),
      // the collective fund's spends, to name the Sankey's recipients by their memos
      settle("spends", getJSON("/flows", { direction: "out", kind: "collective_spend", limit: 200 })),
    ]);
    Object.assign(data, { meta, pool, utility, summary, sankey, graph, facets, recon, audit, health, settings, spends });
    data.block = pool ? pool.as_of.block : null;
    // one section per task: a phone stays responsive while the page fills in
    for (const render of [renderHeader, renderFigures, renderSankey, renderNetwork, renderFacets, renderReconciliation, renderAudit, renderHealth]) {
      render();
      await nextTask();
    }
    const shown = data.member && data.member.member ? data.member.address : null;
    await Promise.all([
      loadUtility(),
      loadDirectory(false),
      loadProposals(false),
      loadSafeguards(),
      loadFlows(false),
      shown ? showMember(shown) : null,
    ]);
    data.details.clear();
    document.body.dataset.loaded = "true";
  }

  /** Re-read everything when the indexer has moved on; else refresh the health panel only. */
  async function refresh() {
    try {
      const health = await getJSON("/health");
      data.health = health;
      errors.health = null;
      if (health.indexer.checkpoint_block !== null && health.indexer.checkpoint_block !== data.block) {
        serverFigures.kept = false; // new figures: drawn here from now on
        await loadAll();
        return;
      }
    } catch (error) {
      errors.health = error;
    }
    renderHealth();
  }

  /** "Voir plus": the next page, then focus on the first item it added (the button may have
   *  hidden itself: the focus must not fall back to the top of the page). */
  async function showMore(listId, selector, load) {
    const before = $(listId).querySelectorAll(selector).length;
    await load(true);
    const added = $(listId).querySelectorAll(selector)[before];
    if (!added) return;
    added.setAttribute("tabindex", "-1");
    added.focus();
  }

  // ---------------------------------------------------------------- one member's or project's page

  /** The page of one member (/membres/0x…) or one project (/projets/12), or null for the page. */
  function route() {
    const member = /^\/membres\/(0x[0-9a-fA-F]{40})\/?$/.exec(window.location.pathname);
    if (member) return { kind: "member", id: member[1] };
    const project = /^\/projets\/(\d+)\/?$/.exec(window.location.pathname);
    return project ? { kind: "project", id: project[1] } : null;
  }

  async function loadEntity() {
    const where = route();
    if (!where) return;
    data.entity = { ...where, loading: true };
    renderEntity();
    try {
      const body = await getJSON(where.kind === "member" ? "/members/" + where.id : "/ess/projects/" + where.id);
      data.entity = { ...where, body };
    } catch (error) {
      data.entity = { ...where, error };
    }
    renderEntity();
  }

  /** A project's own page: its entry of the directory and every funding it received. */
  function projectContent(project) {
    const fundings = project.fundings || [];
    return [
      h("ul", { class: "projects" }, projectNode(project)),
      h("h3", { class: "subtitle" }, t("entity.fundings")),
      fundings.length
        ? h(
            "table",
            { class: "flows stack" },
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("flows.date")), h("th", { scope: "col", class: "num" }, t("flows.amount")), h("th", { scope: "col" }, t("flows.tx")))),
            h(
              "tbody",
              {},
              fundings.map((funding) =>
                h(
                  "tr",
                  { "data-funding": funding.tx_hash },
                  h("td", { "data-label": t("flows.date") }, timeText(funding.time)),
                  h("td", { class: "num", "data-label": t("flows.amount") }, amountText(funding.amount)),
                  h("td", { "data-label": t("flows.tx") }, txNode(funding)),
                ),
              ),
            ),
          )
        : h("p", { class: "muted" }, t("entity.nofunding")),
    ];
  }

  function renderEntity() {
    const section = $("entity");
    const entry = data.entity;
    if (!entry) return;
    section.hidden = false;
    section.dataset.kind = entry.kind;
    section.dataset.id = entry.id;
    const title =
      entry.kind === "member"
        ? t("entity.member", { address: shortAddress(entry.id) })
        : entry.body && entry.body.name
          ? entry.body.name
          : t("entity.project", { id: entry.id });
    $("entity-title").textContent = title;
    document.title = title + " — CMIR DAO";
    const panel = $("entity-panel");
    panel.classList.toggle("member-panel", entry.kind === "member"); // the same look as below the graph
    if (entry.loading) {
      panel.dataset.state = "loading";
      fill(panel, h("p", { class: "muted" }, t("loading")));
      return;
    }
    panel.dataset.state = "ready";
    if (entry.error) {
      const missing = entry.error.status === 404 ? t(entry.kind === "member" ? "member.notfound" : "entity.project.notfound") : null;
      fill(panel, h("p", { class: "error", role: "alert" }, missing || t("unavailable", { error: entry.error.message })));
      return;
    }
    fill(panel, entry.kind === "member" ? memberContent(entry.body, false) : projectContent(entry.body));
  }

  /** The figures the server inlined into the page (the API's first answers), or {}. */
  function firstData() {
    const box = $("first-data");
    try {
      return box ? JSON.parse(box.textContent || "{}") : {};
    } catch (_error) {
      return {};
    }
  }

  function renderAll() {
    I18N.apply(document);
    renderHeader();
    renderFigures();
    renderUtility();
    renderSankey();
    renderNetwork();
    renderMember();
    renderFacets();
    renderDirectory();
    renderProposals();
    renderSafeguards();
    renderFlows();
    renderReconciliation();
    renderAudit();
    renderHealth();
    renderEntity();
  }

  function start() {
    I18N.apply(document);
    $("lang-switch").addEventListener("click", () => {
      serverFigures.kept = false;
      I18N.set(I18N.lang === "fr" ? "en" : "fr");
      renderAll();
    });
    const form = $("directory-form");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      window.clearTimeout(directoryTimer);
      loadDirectory(false);
    });
    form.addEventListener("reset", () => window.setTimeout(() => loadDirectory(false), 0));
    $("dir-q").addEventListener("input", scheduleDirectory);
    for (const id of ["dir-region", "dir-department", "dir-theme", "dir-legal"]) {
      $(id).addEventListener("change", () => loadDirectory(false));
    }
    $("member-form").addEventListener("submit", (event) => {
      event.preventDefault();
      showMember($("member-address").value);
    });
    $("directory-more").addEventListener("click", () => showMore("directory-results", "li.project", loadDirectory));
    $("proposals-more").addEventListener("click", () => showMore("proposal-list", "li.proposal", loadProposals));
    $("flows-more").addEventListener("click", () => showMore("flows-body", "tr[data-flow-id]", loadFlows));
    $("flows-direction").addEventListener("change", () => loadFlows(false));
    $("utility-period").addEventListener("change", () => loadUtility());
    let resizeTimer = null;
    window.addEventListener("resize", () => {
      window.clearTimeout(resizeTimer);
      resizeTimer = window.setTimeout(() => {
        for (const chart of Object.values(charts)) if (chart) chart.resize();
        renderUtility();
        renderSankey();
        renderNetwork();
      }, 150);
    });
    // the key figures at once, from the answers the server put in the page
    const first = firstData();
    serverFigures.kept = $("figure-cards").dataset.state === "server";
    if (first.pool && first.utility && first.summary) {
      Object.assign(data, { meta: first.meta || null, pool: first.pool, utility: first.utility, summary: first.summary });
      renderHeader();
      renderFigures();
    }
    renderNetworkLegend();
    $("network-table")
      .closest("details")
      .addEventListener("toggle", (event) => {
        if (event.target.open && data.graph) renderNetworkTable(data.graph);
      });
    watchCharts();
    loadEntity();
    loadAll(first);
    window.setInterval(refresh, REFRESH_MS);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
