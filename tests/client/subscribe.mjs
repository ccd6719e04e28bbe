// Subscribes with the graphql-ws client library and prints each event as one JSON line.
// Usage: URL=ws://host/graphql TOKEN=... QUERY='subscription {...}' EVENTS=1 node subscribe.mjs
// Prints "READY" once the server acknowledged the connection, "CLOSED <code>" if it closed it.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const wanted = Number(process.env.EVENTS || "1");
let seen = 0;
const client = createClient({
  url: process.env.URL,
  webSocketImpl: WebSocket,
  connectionParams: { token: process.env.TOKEN },
  retryAttempts: 0,
  on: {
    connected: () => console.log("READY"),
    closed: (event) => {
      console.log(`CLOSED ${event.code}`);
      process.exit(0);
    },
  },
});
client.subscribe(
  { query: process.env.QUERY },
  {
    next: (event) => {
      console.log(JSON.stringify(event));
      seen += 1;
      if (seen >= wanted) {
        client.dispose();
        process.exit(0);
      }
    },
    error: (error) => {
      console.log(`ERROR ${JSON.stringify(error.code ?? error.message ?? error)}`);
      process.exit(0);
    },
    complete: () => process.exit(0),
  },
);
setTimeout(() => {
  console.log("TIMEOUT");
  process.exit(1);
}, Number(process.env.TIMEOUT_MS || "15000"));
