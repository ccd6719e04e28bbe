// The command's overview: the unit's figures over a period and a trend per child unit,
// from the `statistics` and `dailySeries` queries, with the token pasted as in GraphiQL.
// A token may also come in the address's fragment (#token=...&unit=...), which never
// reaches a server; the page removes it from the address bar at once.
"use strict";

const COLORS = ["#e63946", "#1d3557", "#2a9d8f", "#f4a261", "#6a4c93", "#8ab17d", "#e76f51", "#457b9d"];
const CARDS = [
  ["newConfirmed", "New confirmed"],
  ["cumulativeConfirmed", "Cumulative confirmed"],
  ["activeQuarantines", "Under observation"],
  ["contactsTraced", "Contacts traced"],
  ["checksMissed", "Checks missed"],
  ["fevers", "Fevers"],
  ["tasksOpened", "Tasks opened"],
];
const QUERY = `query($u: String, $f: NaiveDate!, $t: NaiveDate!, $m: StatisticsMetric!) {
  statistics(orgUnit: $u, from: $f, to: $t) { orgUnit { name } totals { ${CARDS.map((c) => c[0]).join(" ")} } }
  dailySeries(orgUnit: $u, from: $f, to: $t, metric: $m, byChild: true) { dates series { orgUnit { name } values } }
}`;

const $ = (id) => document.getElementById(id);

function status(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

async function load() {
  const token = $("token").value.trim();
  if (!token) {
    status("Paste a token first.", true);
    return;
  }
  const days = Number($("days").value);
  // The server's local day may be ahead of UTC; ask up to the local date of the browser.
  const now = new Date();
  const to = new Date(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()));
  const from = new Date(to.getTime() - (days - 1) * 86400000);
  status("Loading…");
  let body;
  try {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: QUERY,
        variables: { u: $("unit").value.trim() || null, f: isoDay(from), t: isoDay(to), m: $("metric").value },
      }),
    });
    body = await response.json();
  } catch (e) {
    status(`The server did not answer: ${e}`, true);
    return;
  }
  if (body.errors && body.errors.length) {
    status(body.errors.map((e) => e.message).join("; "), true);
    return;
  }
  const { statistics, dailySeries } = body.data;
  status(`${statistics.orgUnit.name}: ${isoDay(from)} to ${isoDay(to)}`);
  renderCards(statistics.totals);
  renderChart(dailySeries);
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
