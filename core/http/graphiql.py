"""A GraphiQL page served entirely from this server: government networks are often isolated
and cannot reach a CDN. The assets are vendored under core/static/graphiql (MIT licensed)."""

GRAPHIQL_HTML = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>CareGraph GraphiQL</title>
  <link rel="stylesheet" href="/static/graphiql/graphiql.min.css">
  <style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
</head>
<body>
  <div id="graphiql">Loading…</div>
  <script src="/static/graphiql/react.production.min.js"></script>
  <script src="/static/graphiql/react-dom.production.min.js"></script>
  <script src="/static/graphiql/graphiql.min.js"></script>
  <script>
    // A token can be passed as #token=… so that the demo's printed links sign in at once;
    // the fragment never reaches a server log.
    const params = new URLSearchParams(window.location.hash.slice(1));
    const token = params.get("token");
    const headers = token ? { Authorization: "Bearer " + token } : {};
    const fetcher = GraphiQL.createFetcher({ url: "/graphql", headers });
    ReactDOM.createRoot(document.getElementById("graphiql")).render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultEditorToolbarOpen: true,
        headers: token ? JSON.stringify(headers, null, 2) : undefined,
      })
    );
  </script>
</body>
</html>
"""
