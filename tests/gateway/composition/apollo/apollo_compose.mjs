// Compose a fixture's subgraphs with the real @apollo/composition, as the reference ours must
// equal byte for byte.
//
//   APOLLO_REF_DIR=/tmp/apollo-composition node apollo_compose.mjs FIXTURE_DIR...
//
// Each FIXTURE_DIR holds subgraphs/NAME.graphql; the supergraph goes to
// FIXTURE_DIR/supergraph.graphql, every subgraph routed at http://127.0.0.1:4000/NAME.
// A FIXTURE_DIR named errors_* must fail: its errors go to FIXTURE_DIR/errors.txt, one
// "CODE message" a line.
// APOLLO_REF_DIR is a folder outside the repository where `npm install @apollo/composition
// graphql` was run, so that no Node tooling lives in the repository.
import { createRequire } from "node:module";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

const dir = process.env.APOLLO_REF_DIR ?? "/tmp/apollo-composition";
const require = createRequire(`${dir}/package.json`);
const { composeServices } = require("@apollo/composition");
const { parse } = require("graphql");

let failed = false;
for (const fixture of process.argv.slice(2)) {
  const folder = join(fixture, "subgraphs");
  const services = readdirSync(folder)
    .filter((file) => file.endsWith(".graphql"))
    .map((file) => {
      const name = basename(file, ".graphql");
      const typeDefs = parse(readFileSync(join(folder, file), "utf8"));
      return { name, url: `http://127.0.0.1:4000/${name}`, typeDefs };
    });
  const result = composeServices(services);
  if (basename(fixture).startsWith("errors_")) {
    if (!result.errors) {
      failed = true;
      console.error(`${fixture}: composed, but was meant to fail`);
      continue;
    }
    const lines = result.errors.map((error) => `${error.extensions?.code} ${error.message}\n`);
    writeFileSync(join(fixture, "errors.txt"), lines.join(""));
    console.log(`${fixture}: refused`);
    continue;
  }
  if (result.errors) {
    failed = true;
    for (const error of result.errors) console.error(`${fixture}: ${error.extensions?.code} ${error.message}`);
    continue;
  }
  writeFileSync(join(fixture, "supergraph.graphql"), result.supergraphSdl);
  console.log(`${fixture}: composed`);
}
process.exit(failed ? 1 : 0);
