// Apollo Client (its HttpLink reads multipart/mixed;deferSpec=20220824) watches one query on
// the gateway and prints every result it hands the application, one JSON line each, as it
// gets them; the test stops it once it has read what it expects.
// Usage: node apollo_defer.mjs URL QUERY
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client/core/index.js";

const [url, query] = process.argv.slice(2);
const client = new ApolloClient({ link: new HttpLink({ uri: url }), cache: new InMemoryCache() });
client.watchQuery({ query: gql(query), fetchPolicy: "no-cache" }).subscribe({
  next(result) {
    process.stdout.write(JSON.stringify({ data: result.data, errors: result.errors ?? null }) + "\n");
  },
  error(error) {
    process.stdout.write(JSON.stringify({ error: String(error) }) + "\n");
    process.exit(1);
  },
});
