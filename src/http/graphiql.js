// GraphiQL with a field for the bearer token: each token sees its own schema. Everything it
// loads comes from this server (the page's policy allows nothing else), so it works offline.
// A token may also come in the address's fragment (#token=...), which never reaches a
// server; the page removes it from the address bar at once.
"use strict";

// Each script the page loads defines one global; name the ones that did not load rather
// than leave "Loading…" on the screen.
const SCRIPTS = [
  ["React", "/assets/vendor/react@18.3.1/react.production.min.js"],
  ["ReactDOM", "/assets/vendor/react-dom@18.3.1/react-dom.production.min.js"],
  ["GraphiQL", "/assets/vendor/graphiql@3.8.3/graphiql.min.js"],
];
const SUBSCRIPTIONS = ["graphqlWs", "/assets/vendor/graphql-ws@5.16.0/graphql-ws.min.js"];

const DEFAULT_QUERY =
  "# 我是谁，能看到什么？ Who am I, and what may I see?\n{\n  me {\n    name agency role\n    jurisdiction { code name level }\n    access { data level }\n  }\n}\n";

function failed(missing) {
  const box = document.getElementById("graphiql");
  box.replaceChildren();
  const notice = document.createElement("div");
  notice.className = "notice error";
  notice.id = "load-failed";
  const zh = document.createElement("p");
  zh.textContent = "GraphiQL 无法启动：以下脚本没有加载。请刷新页面；如果仍然如此，说明这台服务器没有提供这些文件（请检查它的版本或网络中间的代理）。";
  const en = document.createElement("p");
  en.textContent = "GraphiQL cannot start: these scripts did not load. Reload the page; if it persists, this server did not serve them (check its build, or a proxy in between).";
  const list = document.createElement("ul");
  for (const [, url] of missing) {
    const item = document.createElement("li");
    const code = document.createElement("code");
    code.textContent = url;
    item.append(code);
    list.append(item);
  }
  notice.append(zh, en, list);
  box.append(notice);
}

function start() {
  const input = document.getElementById("token");
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) {
    input.value = fragment.get("token");
    history.replaceState(null, "", location.pathname);
  } else {
    // The token lives in this tab only (sessionStorage).
    input.value = sessionStorage.getItem("lianfang-token") || "";
  }
  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  // GraphiQL is rebuilt for each token, so the schema it shows is the one the policy gives
  // that token.
  function render() {
    const token = input.value.trim();
    sessionStorage.setItem("lianfang-token", token);
    // Subscriptions: graphql-transport-ws on the same path, the token in connection_init.
    const wsUrl = location.origin.replace(/^http/, "ws") + "/graphql";
    const wsClient = window.graphqlWs && token
      ? window.graphqlWs.createClient({ url: wsUrl, connectionParams: { token } })
      : undefined;
    const fetcher = GraphiQL.createFetcher({
      url: "/graphql",
      headers: token ? { Authorization: "Bearer " + token } : {},
      wsClient,
    });
    root.render(React.createElement(GraphiQL, { fetcher, key: token, defaultQuery: DEFAULT_QUERY }));
  }
  document.getElementById("apply").addEventListener("click", render);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") render();
  });
  render();
}

const missing = SCRIPTS.filter(([name]) => !(name in window));
if (missing.length) {
  failed(missing);
} else {
  if (!(SUBSCRIPTIONS[0] in window)) {
    console.warn("graphql-ws did not load: subscriptions are unavailable", SUBSCRIPTIONS[1]);
  }
  start();
}
