// The gateway's GraphiQL page, run as a browser runs it but without drawing it: the page is
// fetched from the gateway, then the scripts it loads (the vendored React and GraphiQL, from
// the gateway too) and its own inline script, in one global scope with the few browser
// globals they need at load time. Its script hands GraphiQL the fetcher it built; that very
// fetcher runs QUERY, and every value it yields to GraphiQL is printed as one JSON line, as
// soon as it is yielded. The last line is {"done": true}, with, when the page has sidebar
// plugins (the gateway's "Query plan" pane), their titles and the plan text the page kept for
// its pane. Usage: node graphiql_defer.cjs BASE_URL QUERY
"use strict";
const vm = require("node:vm");

const [base, query] = process.argv.slice(2);
const page = new URL("/graphql", base);

// Anything asked of the document at load time answers with more of the same, and nothing.
const anything = () =>
  new Proxy(function () {}, {
    get: (_, key) => (key === Symbol.toPrimitive ? () => "" : key === "then" ? undefined : anything()),
    apply: () => anything(),
    construct: () => anything(),
  });

let handed = null;
const scope = {
  console, setTimeout, clearTimeout, queueMicrotask, URL, URLSearchParams, Headers, Response,
  ReadableStream, TextDecoder, TextEncoder, AbortController,
  fetch: (url, options) => fetch(new URL(url, page), options),
  navigator: { userAgent: "node", platform: "node" },
  document: anything(),
  location: { protocol: page.protocol, host: page.host, pathname: page.pathname, hash: "" },
  addEventListener() {},
  removeEventListener() {},
};
scope.globalThis = scope.self = scope.window = scope;
vm.createContext(scope);

async function main() {
  const html = await (await fetch(page, { headers: { accept: "text/html" } })).text();
  for (const [, src] of html.matchAll(/<script src="([^"]+)"><\/script>/g)) {
    const code = await (await fetch(new URL(src, page))).text();
    vm.runInContext(code, scope, { filename: src });
  }
  // What the page renders: GraphiQL with its props (the fetcher among them).
  scope.ReactDOM.createRoot = () => ({ render: (element) => { handed = element.props; } });
  const [, inline] = html.match(/<script>([\s\S]*?)<\/script>/);
  vm.runInContext(inline, scope, { filename: "page" });
  if (!handed || typeof handed.fetcher !== "function") throw new Error("no fetcher handed to GraphiQL");
  const result = await handed.fetcher({ query }, { headers: {} });
  if (result && typeof result[Symbol.asyncIterator] === "function") {
    for await (const value of result) process.stdout.write(JSON.stringify(value) + "\n");
  } else {
    process.stdout.write(JSON.stringify(result) + "\n");
  }
}

function done() {
  const out = { done: true };
  if (handed && handed.plugins) {
    out.plugins = handed.plugins.map((plugin) => plugin.title);
    out.queryPlan = scope.crossdockQueryPlan ? scope.crossdockQueryPlan.text : null;
  }
  return out;
}

main().then(
  () => process.stdout.write(JSON.stringify(done()) + "\n"),
  (error) => {
    process.stdout.write(JSON.stringify({ error: String(error) }) + "\n");
    process.exit(1);
  },
);
