// The operations page: the graph's `operations` query for the charts and tables, and the
// `ordersAtRiskChanged` subscription (graphql-transport-ws on /graphql) for the live list.
// Everything goes through the gateway, as any client's requests do; the token, when auth is
// on, is kept in this tab's sessionStorage and sent as the Authorization header and in the
// WebSocket's connection_init payload. Data is written with textContent, never as HTML.
"use strict";
(function () {
  const GRAPHQL = "/graphql";
  const TOKEN_KEY = "crossdock.ops.token";
  const REFRESH_MS = 30000;
  // Window (hours) -> chart bucket (minutes): about 24 buckets a chart.
  const BUCKETS = { 6: 15, 24: 60, 168: 360 };
  const STAGES = {
    SUBMITTED_TO_RELEASED: ["submitted → released", "#2f6fde"],
    RELEASED_TO_SHIPPED: ["released → shipped", "#1f9d6b"],
    SHIPPED_TO_DELIVERED: ["shipped → delivered", "#8a5cd6"],
    SHIPPED_TO_INVOICED: ["shipped → invoiced", "#d68a1f"],
    RETURN_AUTHORIZED_TO_RECEIVED: ["return authorized → received", "#c2410c"],
    RETURN_RECEIVED_TO_CREDITED: ["return received → credited", "#6b7280"],
  };
  const KINDS = {
    CREDIT_HOLD: ["credit hold", "#d64545"],
    MANUAL_REVIEW: ["manual review", "#d68a1f"],
    REJECTED: ["rejected", "#8a1c1c"],
    RELEASE_FAILED: ["release failed", "#8a5cd6"],
    BACKORDERED: ["backordered", "#2f6fde"],
  };
  const AT_RISK = `fragment AtRisk on OrderAtRisk {
  orderId stage since reason detail promisedDate order { number }
}`;
  const PAGE_QUERY = `query OpsPage($windowHours: Int!, $bucketMinutes: Int!) {
  operations(windowHours: $windowHours) {
    windowStart windowEnd
    cycleTimeSeries(bucketMinutes: $bucketMinutes) { start stage count p50Seconds p90Seconds }
    fallout { kind reason count rate }
    falloutSeries(bucketMinutes: $bucketMinutes) { start kind count }
    ordersAtRisk(first: 100) { ...AtRisk }
  }
}
${AT_RISK}`;
  const SUBSCRIPTION = `subscription OpsAtRisk {
  ordersAtRiskChanged { added { orderId } removedOrderIds atRisk { ...AtRisk } }
}
${AT_RISK}`;

  const $ = (id) => document.getElementById(id);
  const state = { charts: {}, stopLive: null, refreshTimer: null, loading: 0 };

  function token() {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  }

  function authorization() {
    const value = token().trim();
    if (!value) return null;
    return /^bearer\s/i.test(value) ? value : `Bearer ${value}`;
  }

  function setStatus(text, isError) {
    const el = $("status");
    el.textContent = text;
    el.classList.toggle("error", Boolean(isError));
  }

  function messages(errors) {
    return (errors || [])
      .map((e) => {
        const code = e.extensions && e.extensions.code;
        return code ? `${code}: ${e.message}` : e.message;
      })
      .join("; ");
  }

  async function graphql(query, variables) {
    const headers = { "content-type": "application/json", accept: "application/json" };
    const auth = authorization();
    if (auth) headers.authorization = auth;
    const response = await fetch(GRAPHQL, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
    });
    return response.json();
  }

  // --- the charts -----------------------------------------------------------------------

  function seconds(iso) {
    return Date.parse(iso) / 1000;
  }

  // Rows of {start, <key>, <value>} as uPlot's columns: the bucket starts, then one series
  // per key (null where a bucket has no value for it).
  function columns(rows, keyOf, valueOf, keys) {
    const xs = [...new Set(rows.map((r) => seconds(r.start)))].sort((a, b) => a - b);
    const at = new Map(xs.map((x, i) => [x, i]));
    const series = keys.map(() => xs.map(() => null));
    for (const row of rows) {
      const k = keys.indexOf(keyOf(row));
      if (k >= 0) series[k][at.get(seconds(row.start))] = valueOf(row);
    }
    return { xs, series };
  }

  function drawChart(name, labels, xs, series, options) {
    const el = $(name);
    const present = labels.map((_, i) => series[i].some((v) => v !== null));
    const keep = labels.filter((_, i) => present[i]);
    const data = [xs, ...series.filter((_, i) => present[i])];
    el.dataset.points = String(xs.length);
    el.dataset.series = String(keep.length);
    const width = Math.max(el.clientWidth, 320);
    if (state.charts[name]) {
      state.charts[name].destroy();
      delete state.charts[name];
    }
    el.replaceChildren();
    if (xs.length === 0) {
      const empty = document.createElement("p");
      empty.className = "empty";
      empty.textContent = "Nothing in this window yet.";
      el.appendChild(empty);
      return;
    }
    state.charts[name] = new uPlot(
      {
        width,
        height: 240,
        series: [{}, ...keep.map(([label, stroke]) => ({ label, stroke, width: 2, ...options }))],
        axes: [{}, { size: 50 }],
        scales: { x: { time: true } },
      },
      data,
      el,
    );
  }

  function drawCycleTimes(rows) {
    const keys = Object.keys(STAGES);
    const { xs, series } = columns(
      rows,
      (r) => r.stage,
      (r) => (r.p50Seconds === null ? null : r.p50Seconds / 3600),
      keys,
    );
    drawChart("cycle-chart", keys.map((k) => STAGES[k]), xs, series, {
      spanGaps: true,
      points: { show: true },
    });
  }

  function drawFallout(rows, totals) {
    const keys = Object.keys(KINDS);
    const { xs, series } = columns(rows, (r) => r.kind, (r) => r.count, keys);
    drawChart("fallout-chart", keys.map((k) => KINDS[k]), xs, series, {
      paths: uPlot.paths.stepped({ align: 1 }),
      points: { show: true },
    });
    const body = $("fallout").tBodies[0];
    body.replaceChildren();
    for (const f of totals) {
      const row = body.insertRow();
      const label = KINDS[f.kind] ? KINDS[f.kind][0] : f.kind;
      for (const text of [label, f.reason, String(f.count), `${(f.rate * 100).toFixed(1)} %`]) {
        row.insertCell().textContent = text;
      }
    }
    if (totals.length === 0) emptyRow(body, 4, "No fallout in this window.");
  }

  // --- the at-risk list -----------------------------------------------------------------

  // The GraphiQL link of one order: the gateway's GraphiQL opens the query of the URL's
  // fragment (gateway/server/_graphiql.py).
  function orderQuery(orderId) {
    return `query AtRiskOrder {
  order(id: ${JSON.stringify(orderId)}) {
    number status total { amount currency }
    account { name creditHold }
    lines { quantity product { sku name } }
    fulfillmentOrders { id status }
    shipments { carrier trackingNumber status trackingEvents { status occurredAt } }
  }
}
`;
  }

  function since(iso) {
    const minutes = Math.max(0, (Date.now() - Date.parse(iso)) / 60000);
    const ago = minutes < 90 ? `${Math.round(minutes)} min` : `${(minutes / 60).toFixed(1)} h`;
    return `${new Date(iso).toLocaleString()} (${ago})`;
  }

  function emptyRow(body, span, text) {
    const row = body.insertRow();
    row.className = "empty";
    const cell = row.insertCell();
    cell.colSpan = span;
    cell.textContent = text;
  }

  function drawAtRisk(list, added) {
    const body = $("at-risk").tBodies[0];
    body.replaceChildren();
    const fresh = new Set(added || []);
    for (const item of list) {
      const row = body.insertRow();
      row.dataset.orderId = item.orderId;
      if (fresh.has(item.orderId)) row.className = "added";
      const link = document.createElement("a");
      link.href = `${GRAPHQL}#query=${encodeURIComponent(orderQuery(item.orderId))}`;
      link.textContent = (item.order && item.order.number) || item.orderId;
      link.title = "open this order in GraphiQL";
      row.insertCell().appendChild(link);
      for (const text of [
        item.stage,
        item.reason,
        since(item.since),
        item.promisedDate || "—",
        item.detail,
      ]) {
        row.insertCell().textContent = text;
      }
    }
    if (list.length === 0) emptyRow(body, 6, "No order is at risk.");
    $("at-risk-count").textContent = `(${list.length})`;
  }

  // --- loading --------------------------------------------------------------------------

  async function load() {
    const windowHours = Number($("window").value);
    const ticket = ++state.loading;
    let body;
    try {
      body = await graphql(PAGE_QUERY, { windowHours, bucketMinutes: BUCKETS[windowHours] });
    } catch (error) {
      setStatus(`The gateway did not answer: ${error}`, true);
      return;
    }
    if (ticket !== state.loading) return; // a newer load (other window) is on its way
    const ops = body.data && body.data.operations;
    if (!ops) {
      setStatus(`The graph refused: ${messages(body.errors) || "no data"}`, true);
      return;
    }
    drawCycleTimes(ops.cycleTimeSeries);
    drawFallout(ops.falloutSeries, ops.fallout);
    if (!state.live) drawAtRisk(ops.ordersAtRisk);
    setStatus(
      body.errors ? `Partly: ${messages(body.errors)}` : `Updated ${new Date().toLocaleTimeString()}`,
      Boolean(body.errors),
    );
  }

  // graphql-transport-ws, by hand: connection_init (with the token), subscribe, then every
  // `next` is the whole list now. Reconnects with a growing delay when the socket closes.
  function live() {
    let socket = null;
    let stopped = false;
    let delay = 1000;
    const show = (text) => {
      $("live").textContent = text;
    };
    function open() {
      const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
      socket = new WebSocket(`${scheme}//${window.location.host}${GRAPHQL}`, "graphql-transport-ws");
      socket.onopen = () => {
        const auth = authorization();
        socket.send(
          JSON.stringify({ type: "connection_init", payload: auth ? { Authorization: auth } : {} }),
        );
      };
      socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        if (message.type === "connection_ack") {
          socket.send(
            JSON.stringify({
              id: "at-risk",
              type: "subscribe",
              payload: { query: SUBSCRIPTION, operationName: "OpsAtRisk" },
            }),
          );
        } else if (message.type === "ping") {
          socket.send(JSON.stringify({ type: "pong" }));
        } else if (message.type === "next") {
          const change = message.payload.data && message.payload.data.ordersAtRiskChanged;
          if (change) {
            delay = 1000;
            state.live = true;
            drawAtRisk(
              change.atRisk,
              change.added.map((a) => a.orderId),
            );
            show(`· live, changed ${new Date().toLocaleTimeString()}`);
          }
          if (message.payload.errors) show(`· ${messages(message.payload.errors)}`);
        } else if (message.type === "error") {
          show(`· not live: ${messages(message.payload)}`);
        } else if (message.type === "complete") {
          show("· the subscription ended");
        }
      };
      socket.onclose = (event) => {
        state.live = false;
        if (stopped) return;
        show(`· disconnected (${event.code}${event.reason ? `: ${event.reason}` : ""}), retrying`);
        window.setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    open();
    return () => {
      stopped = true;
      if (socket) socket.close(1000, "token changed");
    };
  }

  // (Re)connect with the token now: what the page shows until then is of the last one.
  function restart() {
    if (state.stopLive) state.stopLive();
    state.live = false;
    $("live").textContent = "· connecting";
    setStatus("Loading…", false);
    state.stopLive = live();
    load();
  }

  function start() {
    const input = $("token");
    input.value = token();
    input.addEventListener("change", () => {
      const value = input.value.trim();
      if (value) sessionStorage.setItem(TOKEN_KEY, value);
      else sessionStorage.removeItem(TOKEN_KEY);
      restart();
    });
    $("window").addEventListener("change", load);
    window.addEventListener("resize", () => {
      for (const [name, chart] of Object.entries(state.charts)) {
        chart.setSize({ width: Math.max($(name).clientWidth, 320), height: 240 });
      }
    });
    state.refreshTimer = window.setInterval(load, REFRESH_MS);
    restart();
  }

  start();
})();
