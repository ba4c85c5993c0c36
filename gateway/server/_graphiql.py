"""The GraphiQL page served on ``GET /graphql`` to browsers, and its vendored assets.

The page loads GraphiQL, React and ReactDOM from the server itself (``static/``, see its
README), so it works on a machine without internet access. Its fetcher runs subscriptions over
a WebSocket on the same path with the graphql-ws client that the GraphiQL bundle includes. Any
GraphQL server speaking graphql-transport-ws on its path can serve it: the subgraphs do, with
:func:`graphiql_html` and :func:`graphiql_asset_route`.

With ``query_plans`` (the gateway's, where ``expose_query_plans`` allows it) the fetcher sends
``Apollo-Expose-Query-Plan: true`` with every operation, and a "Query plan" pane in the
sidebar shows the text of the last plan the gateway returned
(``extensions.apolloQueryPlan.text``; docs/query-plans.md).

A link opens the page on a query of its own: ``/graphql#query=<URL-encoded text>`` (and
``&variables=<JSON>``). The fragment never reaches the server, so the request is still the
page's ``GET`` and not an operation; GraphiQL opens the query in a tab of its own (or the tab
that already holds it).
"""

from __future__ import annotations

from pathlib import Path

import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

__all__ = ["ASSET_PREFIX", "graphiql_asset", "graphiql_asset_route", "graphiql_html"]

ASSET_PREFIX = "/graphiql"
_STATIC = Path(__file__).parent / "static"

# File name -> media type. Names carry their version, so a browser may keep them for a year.
_ASSETS = {
    "graphiql-3.9.0.min.css": "text/css; charset=utf-8",
    "graphiql-3.9.0.min.js": "text/javascript; charset=utf-8",
    "react-18.3.1.production.min.js": "text/javascript; charset=utf-8",
    "react-dom-18.3.1.production.min.js": "text/javascript; charset=utf-8",
}
_CACHE_CONTROL = "public, max-age=31536000, immutable"


def graphiql_html(
    *,
    title: str = "Crossdock GraphiQL",
    default_query: str | None = None,
    query_plans: bool = False,
) -> str:
    """The page, titled ``title``, opening on ``default_query`` (GraphiQL's welcome text when
    ``None``) unless the browser kept the tabs of an earlier visit; with ``query_plans``, it
    asks for each operation's plan and shows it in a "Query plan" pane."""
    props: dict[str, object] = {"defaultEditorToolsVisibility": True}
    if default_query is not None:
        props["defaultQuery"] = default_query
    # JSON inside a <script>: "</" would end the script early, so it is escaped.
    options = orjson.dumps(props).decode().replace("</", "<\\/")
    plan_headers = _PLAN_HEADERS if query_plans else ""
    plan_script = _PLAN_SCRIPT if query_plans else "\n    const fetcher = graphqlFetcher;"
    plugins = "plugins: [queryPlanPlugin], " if query_plans else ""
    page_title = title.replace("&", "&amp;").replace("<", "&lt;")
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{page_title}</title>
  <style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
  <link rel="stylesheet" href="{ASSET_PREFIX}/graphiql-3.9.0.min.css">
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="{ASSET_PREFIX}/react-18.3.1.production.min.js"></script>
  <script src="{ASSET_PREFIX}/react-dom-18.3.1.production.min.js"></script>
  <script src="{ASSET_PREFIX}/graphiql-3.9.0.min.js"></script>
  <script>
    // Subscriptions go over a WebSocket to the same path (graphql-transport-ws, with the
    // graphql-ws client bundled in GraphiQL); queries and mutations over HTTP.
    const socketScheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const graphqlFetcher = GraphiQL.createFetcher({{{plan_headers}
      url: window.location.pathname,
      subscriptionUrl: `${{socketScheme}}//${{window.location.host}}${{window.location.pathname}}`,
    }});{plan_script}
    // A link's own query, from the fragment (never sent to the server).
    const linked = new URLSearchParams(window.location.hash.slice(1));
    const opened = {{}};
    if (linked.get("query")) opened.query = linked.get("query");
    if (linked.get("variables")) opened.variables = linked.get("variables");
    ReactDOM.createRoot(document.getElementById("graphiql")).render(
      React.createElement(GraphiQL, {{ fetcher, {plugins}...{options}, ...opened }})
    );
  </script>
</body>
</html>
"""


_PLAN_HEADERS = '\n      headers: { "Apollo-Expose-Query-Plan": "true" },'

# The fetcher remembers the plan of each operation's first payload (not of GraphiQL's own
# introspection); the pane shows the last one, and follows as new ones come.
_PLAN_SCRIPT = """
    const queryPlan = { text: null, listeners: new Set() };
    window.crossdockQueryPlan = queryPlan;
    function rememberPlan(result) {
      for (const payload of Array.isArray(result) ? result : [result]) {
        const plan = payload && payload.extensions && payload.extensions.apolloQueryPlan;
        if (plan && typeof plan.text === "string") {
          queryPlan.text = plan.text;
          queryPlan.listeners.forEach((listener) => listener(plan.text));
        }
      }
    }
    // A result is a value, an async iterable of them (multipart), a promise of either, or a
    // subscription's observable (no plan comes over the socket).
    function watched(result) {
      if (!result) return result;
      if (typeof result.then === "function") return result.then(watched);
      if (typeof result[Symbol.asyncIterator] === "function") {
        return (async function* () {
          for await (const value of result) { rememberPlan(value); yield value; }
        })();
      }
      if (typeof result.subscribe !== "function") rememberPlan(result);
      return result;
    }
    function fetcher(params, options) {
      const result = graphqlFetcher(params, options);
      return params.operationName === "IntrospectionQuery" ? result : watched(result);
    }
    function QueryPlanPane() {
      const [text, setText] = React.useState(queryPlan.text);
      React.useEffect(() => {
        queryPlan.listeners.add(setText);
        return () => { queryPlan.listeners.delete(setText); };
      }, []);
      const e = React.createElement;
      return e("div", null,
        e("div", { className: "graphiql-doc-explorer-title" }, "Query plan"),
        text === null
          ? e("p", null, "Run an operation: the plan the gateway made for it shows here.")
          : e("pre", { style: { fontSize: "12px", overflow: "auto", whiteSpace: "pre" } }, text));
    }
    const queryPlanPlugin = {
      title: "Query plan",
      icon: () => React.createElement("span", { style: { fontWeight: 700 } }, "QP"),
      content: () => React.createElement(QueryPlanPane),
    };"""


# Asset bytes, read on first request and kept (about 1.5 MB in all).
_bodies: dict[str, bytes] = {}


async def graphiql_asset(request: Request) -> Response:
    """``GET /graphiql/{name}``: one of the vendored files, anything else is a 404."""
    name = request.path_params["name"]
    media_type = _ASSETS.get(name)
    if media_type is None:
        return PlainTextResponse("Not Found", status_code=404)
    body = _bodies.get(name)
    if body is None:
        body = _bodies[name] = (_STATIC / name).read_bytes()
    return Response(body, media_type=media_type, headers={"cache-control": _CACHE_CONTROL})


def graphiql_asset_route() -> Route:
    """The route serving the page's vendored files under :data:`ASSET_PREFIX`."""
    return Route(f"{ASSET_PREFIX}/{{name}}", graphiql_asset, methods=["GET"])
