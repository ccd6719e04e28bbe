// The command's overview: the unit's figures over a period and a trend per child unit,
// from the `statistics` and `dailySeries` queries, with the token pasted as in GraphiQL.
// A token may also come in the address's fragment (#token=...&unit=...), which never
// reaches a server; the page removes it from the address bar at once. What goes wrong is
// said in plain words, Chinese first; the server's own message is kept under "details".
"use strict";

const COLORS = ["#e63946", "#1d3557", "#2a9d8f", "#f4a261", "#6a4c93", "#8ab17d", "#e76f51", "#457b9d"];
const CARDS = [
  ["newConfirmed", "新增确诊 New confirmed"],
  ["cumulativeConfirmed", "累计确诊 Cumulative confirmed"],
  ["activeQuarantines", "医学观察中 Under observation"],
  ["contactsTraced", "追踪密接 Contacts traced"],
  ["checksMissed", "漏检 Checks missed"],
  ["fevers", "发热 Fevers"],
  ["tasksOpened", "新派任务 Tasks opened"],
];
const QUERY = `query($u: String, $f: NaiveDate!, $t: NaiveDate!, $m: StatisticsMetric!) {
  statistics(orgUnit: $u, from: $f, to: $t) { orgUnit { name } totals { ${CARDS.map((c) => c[0]).join(" ")} } }
  dailySeries(orgUnit: $u, from: $f, to: $t, metric: $m, byChild: true) { dates series { orgUnit { name } values } }
}`;
// Asked only after a refusal: does this token have the statistics in its schema at all?
const WHO = `{ me { agency role } __type(name: "Query") { fields { name } } }`;

const $ = (id) => document.getElementById(id);

function status(text, isError, details) {
  const box = $("status");
  box.replaceChildren(text);
  box.className = isError ? "error" : "";
  if (details) {
    const more = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = "详情 Details";
    more.append(summary, details);
    box.append(more);
  }
}

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

async function post(token, query, variables) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

async function load() {
  const token = $("token").value.trim();
  if (!token) {
    status("请先粘贴令牌。 Paste a token first.", true);
    return;
  }
  const days = Number($("days").value);
  const unit = $("unit").value.trim();
  // The server's local day may be ahead of UTC; ask up to the local date of the browser.
  const now = new Date();
  const to = new Date(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()));
  const from = new Date(to.getTime() - (days - 1) * 86400000);
  status("正在加载… Loading…");
  let body;
  try {
    body = await post(token, QUERY, { u: unit || null, f: isoDay(from), t: isoDay(to), m: $("metric").value });
  } catch (e) {
    status("服务器没有应答，请检查网络后重试。 The server did not answer: check the connection and try again.", true, String(e));
    return;
  }
  if (body.errors && body.errors.length) {
    await explain(token, unit, body.errors);
    return;
  }
  const { statistics, dailySeries } = body.data;
  status(`${statistics.orgUnit.name}：${isoDay(from)} 至 ${isoDay(to)} · ${isoDay(from)} to ${isoDay(to)}`);
  renderCards(statistics.totals);
  renderChart(dailySeries);
}

// A refusal in plain words, by its stable code.
async function explain(token, unit, errors) {
  const code = errors[0].extensions && errors[0].extensions.code;
  const raw = errors.map((e) => `${(e.extensions && e.extensions.code) || ""} ${e.message}`).join("\n");
  const say = (text) => status(text, true, raw);
  clear();
  switch (code) {
    case "UNAUTHENTICATED":
      return say("令牌无效或已过期，请重新获取（cargo run 启动时会打印演示令牌）。 The token is invalid or has expired: get a new one (cargo run prints demo tokens at start-up).");
    case "UNAVAILABLE":
      return say("服务器暂时连不上数据库，请稍后再试。 The server cannot reach its database just now: try again shortly.");
    case "LIMIT_EXCEEDED":
      return say("请求太多或时间段太长：请稍候再试，或选择更少的天数。 Too many requests, or too long a period: wait a moment, or choose fewer days.");
    case "NOT_FOUND":
      return say(`单位“${unit}”不存在，或不在这个令牌的辖区内。 Unit "${unit}" does not exist, or lies outside this token's jurisdiction.`);
    case "FORBIDDEN":
    case "BAD_USER_INPUT": {
      let who;
      try {
        who = (await post(token, WHO, {})).data;
      } catch (e) {
        who = null;
      }
      const fields = who && who.__type ? who.__type.fields.map((f) => f.name) : [];
      if (who && who.me && !(fields.includes("statistics") && fields.includes("dailySeries"))) {
        const { agency, role } = who.me;
        return say(`这个令牌（${agency} ${role}）不能查看统计数字：请粘贴指挥部（COMMAND）或分析员（ANALYST）令牌。 This token (${agency} ${role}) may not see statistics: paste a COMMAND or ANALYST token.`);
      }
      if (code === "FORBIDDEN") {
        return say(`这个令牌不能查看单位“${unit}”的数字。 This token may not see the figures of unit "${unit}".`);
      }
      return say(`单位代码“${unit}”或时间段不被接受。 The unit code "${unit}" or the period was not accepted.`);
    }
    default:
      return say(`无法加载数字（错误代码 ${code || "无 none"}）。 Could not load the figures (code ${code || "none"}).`);
  }
}

function clear() {
  $("cards").replaceChildren();
  $("chart").replaceChildren();
  $("legend").replaceChildren();
  delete $("chart").dataset.state;
}

function renderCards(totals) {
  const cards = $("cards");
  cards.replaceChildren();
  for (const [field, label] of CARDS) {
    const card = document.createElement("div");
    card.className = "card";
    const l = document.createElement("div");
    l.className = "label";
    l.textContent = label;
    const v = document.createElement("div");
    v.className = "value";
    v.dataset.field = field;
    v.textContent = String(totals[field]);
    card.append(l, v);
    cards.append(card);
  }
}

const SVG = "http://www.w3.org/2000/svg";

function svg(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function renderChart(data) {
  const chart = $("chart");
  chart.replaceChildren();
  const legend = $("legend");
  legend.replaceChildren();
  // The unit itself is the first series; the chart shows its children.
  const series = data.series.length > 1 ? data.series.slice(1) : data.series;
  const [w, h, left, bottom, top] = [900, 360, 48, 40, 16];
  const values = series.flatMap((s) => s.values.filter((v) => v !== null));
  const max = Math.max(1, ...values);
  const n = data.dates.length;
  const x = (i) => left + (n <= 1 ? 0 : (i * (w - left - 16)) / (n - 1));
  const y = (v) => h - bottom - (v * (h - bottom - top)) / max;
  chart.append(svg("line", { x1: left, y1: h - bottom, x2: w - 16, y2: h - bottom, stroke: "#999" }));
  chart.append(svg("line", { x1: left, y1: top, x2: left, y2: h - bottom, stroke: "#999" }));
  for (const v of [0, Math.round(max / 2), max]) {
    chart.append(svg("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#555" }, v));
  }
  data.dates.forEach((d, i) => {
    if (i % Math.ceil(n / 7) === 0 || i === n - 1) {
      chart.append(svg("text", { x: x(i), y: h - bottom + 16, "text-anchor": "middle", "font-size": 11, fill: "#555" }, d.slice(5)));
    }
  });
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    // A hidden value (null) breaks the line.
    let path = "";
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null) {
        pen = false;
        return;
      }
      path += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)} `;
      pen = true;
    });
    chart.append(svg("path", { d: path.trim(), fill: "none", stroke: color, "stroke-width": 3, "data-unit": s.orgUnit.name }));
    const item = document.createElement("span");
    item.style.setProperty("--c", color);
    item.textContent = s.orgUnit.name;
    legend.append(item);
  });
  chart.dataset.state = "ready";
}

$("load").addEventListener("click", load);
$("metric").addEventListener("change", () => $("token").value && load());

const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get("token")) {
  $("token").value = fragment.get("token");
  if (fragment.get("unit")) $("unit").value = fragment.get("unit");
  history.replaceState(null, "", location.pathname);
  load();
}
