// Apollo Client watches one query on the gateway and prints every result it hands the
// application, one JSON line each, as it gets them; the test stops it once it has read what it
// expects. The transport is the link a portal or app would use:
//   http  Apollo's HttpLink, which reads multipart/mixed;deferSpec=20220824
//   ws    Apollo's GraphQLWsLink over graphql-ws (graphql-transport-ws), with `ws` as WebSocket
//   sse   a link over graphql-sse's client (GraphQL over SSE, distinct connections mode)
// Apollo Client merges the `incremental` payloads of each into the result, whatever the link.
// Usage: node apollo_defer.mjs URL QUERY [http|ws|sse]
import {
  ApolloClient,
  ApolloLink,
  HttpLink,
  InMemoryCache,
  Observable,
  gql,
} from "@apollo/client/core/index.js";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions/index.js";
import { print } from "graphql";
import { createClient as createSseClient } from "graphql-sse";
import { createClient as createWsClient } from "graphql-ws";
import WebSocket from "ws";

const [url, query, transport = "http"] = process.argv.slice(2);

function sseLink(endpoint) {
  const client = createSseClient({ url: endpoint, singleConnection: false, retryAttempts: 0 });
  return new ApolloLink(
    (operation) =>
      new Observable((observer) =>
        client.subscribe(
          {
            query: print(operation.query),
            variables: operation.variables,
            operationName: operation.operationName,
          },
          {
            next: (value) => observer.next(value),
            error: (error) => observer.error(error),
            complete: () => observer.complete(),
          },
        ),
      ),
  );
}

function link() {
  if (transport === "ws") {
    const wsUrl = url.replace(/^http/, "ws");
    return new GraphQLWsLink(
      createWsClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true }),
    );
  }
  if (transport === "sse") {
    return sseLink(url);
  }
  return new HttpLink({ uri: url });
}

const client = new ApolloClient({ link: link(), cache: new InMemoryCache() });
client.watchQuery({ query: gql(query), fetchPolicy: "no-cache" }).subscribe({
  next(result) {
    process.stdout.write(JSON.stringify({ data: result.data, errors: result.errors ?? null }) + "\n");
  },
  error(error) {
    process.stdout.write(JSON.stringify({ error: String(error) }) + "\n");
    process.exit(1);
  },
});
