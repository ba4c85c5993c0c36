// Hive Gateway with the Rust query planner serving a supergraph file, for
// bench/gateway_vs_apollo.py.
//
//   PEERS_DIR=/tmp/crossdock-bench-peers node bench/hive_gateway.mjs SUPERGRAPH.graphql PORT
//
// PEERS_DIR is a folder outside the repository where `npm install @graphql-hive/gateway-runtime
// @graphql-hive/router-runtime @graphql-mesh/transport-http graphql` was run; the packages load
// from there. The runtime is
// what the `hive-gateway` CLI serves, here on Node's own HTTP server; `unifiedGraphHandler` from
// @graphql-hive/router-runtime plans with the Rust planner (Hive Router's, as a native module)
// instead of the JavaScript one. Request deduplication stays at the runtime's default (off).
// Prints "ready <url>" on stdout once it accepts requests.
import { createRequire } from "node:module";
import { createServer } from "node:http";

const require = createRequire(`${process.env.PEERS_DIR}/package.json`);
const { createGatewayRuntime } = require("@graphql-hive/gateway-runtime");
const { unifiedGraphHandler } = require("@graphql-hive/router-runtime");

const [file, port] = process.argv.slice(2);
const gateway = createGatewayRuntime({
  supergraph: file,
  unifiedGraphHandler,
  logging: false,
  maskedErrors: true,
  graphiql: false,
  landingPage: false,
});
const server = createServer(gateway);
server.listen(Number(port), "127.0.0.1", () => {
  process.stdout.write(`ready http://127.0.0.1:${port}/graphql\n`);
});
