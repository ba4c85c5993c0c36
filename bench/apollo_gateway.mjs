// @apollo/gateway serving a supergraph file, for bench/gateway_vs_apollo.py.
//
//   PEERS_DIR=/tmp/crossdock-bench-peers node bench/apollo_gateway.mjs SUPERGRAPH.graphql PORT
//
// PEERS_DIR is a folder outside the repository where `npm install @apollo/gateway @apollo/server
// graphql` was run; the packages load from there, so no Node tooling lives in the repository.
// Prints "ready <url>" on stdout once it accepts requests.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(`${process.env.PEERS_DIR}/package.json`);
const { ApolloGateway } = require("@apollo/gateway");
const { ApolloServer } = require("@apollo/server");
const { startStandaloneServer } = require("@apollo/server/standalone");

const [file, port] = process.argv.slice(2);
const quiet = { debug() {}, info() {}, warn: console.error, error: console.error };
const gateway = new ApolloGateway({ supergraphSdl: readFileSync(file, "utf8"), logger: quiet });
const server = new ApolloServer({ gateway, logger: quiet, includeStacktraceInErrorResponses: false });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(port), host: "127.0.0.1" },
});
process.stdout.write(`ready ${url}\n`);
