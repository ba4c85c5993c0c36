// Serve a supergraph file with the real @apollo/gateway, for comparison with ours.
//
//   APOLLO_REF_DIR=/tmp/apollo-ref node apollo_reference.mjs SUPERGRAPH.graphql [PORT]
//
// APOLLO_REF_DIR is a folder outside the repository where `npm install @apollo/gateway
// @apollo/server graphql` was run; the packages are loaded from there so that no Node tooling
// lives in the repository. Prints "ready <url>" on stdout once it accepts requests.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const dir = process.env.APOLLO_REF_DIR ?? "/tmp/apollo-ref";
const require = createRequire(`${dir}/package.json`);
const { ApolloGateway } = require("@apollo/gateway");
const { ApolloServer } = require("@apollo/server");
const { startStandaloneServer } = require("@apollo/server/standalone");

const [file, port = "0"] = process.argv.slice(2);
const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(file, "utf8"),
  // Progressive @override labels: none enabled, as our gateway treats unknown labels.
  logger: { debug() {}, info() {}, warn: console.error, error: console.error },
});
const server = new ApolloServer({ gateway, includeStacktraceInErrorResponses: false });
const { url } = await startStandaloneServer(server, { listen: { port: Number(port), host: "127.0.0.1" } });
process.stdout.write(`ready ${url}\n`);
