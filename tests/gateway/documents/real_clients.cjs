// Apollo Client's persisted-queries link and urql's persisted exchange, as an app configures
// them, against the gateway at argv[2]: every HTTP request they send is recorded, and each
// query's result. Prints one JSON object; run by test_real_clients.py with NODE_PATH set to
// the packages it installed (never into the repository).
"use strict";

const crypto = require("node:crypto");
const { ApolloClient, InMemoryCache, HttpLink, gql } = require("@apollo/client/core");
const { createPersistedQueryLink } = require("@apollo/client/link/persisted-queries");
const { Client, fetchExchange } = require("@urql/core");
const { persistedExchange } = require("@urql/exchange-persisted");

const url = process.argv[2] + "/graphql";
const sha256 = (text) => crypto.createHash("sha256").update(text).digest("hex");

function recordingFetch(requests) {
  return async (input, init = {}) => {
    const target = new URL(typeof input === "string" ? input : input.url);
    requests.push({
      method: init.method || "GET",
      params: Object.fromEntries(target.searchParams),
      body: init.body ? JSON.parse(init.body) : null,
    });
    return fetch(input, init);
  };
}

async function apollo(query, variables) {
  const requests = [];
  const link = createPersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
    new HttpLink({ uri: url, fetch: recordingFetch(requests) }),
  );
  // No __typename added: the texts sent are the queries as the test wrote them, which is
  // what its manifest lists.
  const client = new ApolloClient({ link, cache: new InMemoryCache({ addTypename: false }) });
  try {
    const result = await client.query({ query: gql(query), variables, fetchPolicy: "no-cache" });
    return { requests, data: result.data, errors: result.errors || null };
  } catch (error) {
    return { requests, data: null, errors: [String(error.message)] };
  }
}

async function urql(query, variables) {
  const requests = [];
  const client = new Client({
    url,
    fetch: recordingFetch(requests),
    preferGetMethod: false,
    // urql's GETs carry no content type: behind CSRF prevention (as behind Apollo Router)
    // an app configures the preflight header.
    fetchOptions: { headers: { "apollo-require-preflight": "true" } },
    requestPolicy: "network-only",
    exchanges: [
      persistedExchange({ preferGetForPersistedQueries: true, generateHash: async (q) => sha256(q) }),
      fetchExchange,
    ],
  });
  const result = await client.query(query, variables).toPromise();
  return {
    requests,
    data: result.data || null,
    errors: result.error ? result.error.graphQLErrors.map((e) => e.message) : null,
  };
}

// urql aborts the fetch its persisted exchange superseded (the one answered
// PersistedQueryNotFound) after it completed, and Node reports that abort as unhandled:
// nothing of the exchange is lost by ignoring exactly that.
process.on("unhandledRejection", (error) => {
  if (error && error.name === "AbortError") return;
  throw error;
});

async function main() {
  // Each client's query and variables; each runs twice, from a fresh client each time.
  const { apollo: [aq, av], urql: [uq, uv] } = JSON.parse(process.argv[3]);
  const out = {
    apollo: [await apollo(aq, av), await apollo(aq, av)],
    urql: [await urql(uq, uv), await urql(uq, uv)],
  };
  process.stdout.write(JSON.stringify(out));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
