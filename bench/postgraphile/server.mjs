// PostGraphile 5 (Amber preset) over the benchmark's database, as its documentation sets it
// up: the peer that bench/compare-postgraphile measures lianfang against. No audit, no
// access policy: it serves every table of the schema to anyone.
//
//   DATABASE_URL=postgres://... PORT=5678 POOL_SIZE=10 \
//     NODE_OPTIONS=--require=./with-resolvers.cjs node server.mjs
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";

const port = Number(process.env.PORT ?? 5678);
const preset = {
  extends: [PostGraphileAmberPreset],
  // PostGraphile offers filters only on columns an index leads, and ignores partial indexes:
  // the document's uniqueness is one (`WHERE held_for_id IS NULL`, migration 000021), so
  // without this `allPeople` has no `documentType` condition. The look-up's condition names
  // `heldForId: null` too, so PostgreSQL uses that index, as lianfang and the floor do.
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
      // The same pool size as lianfang's DB_MAX_CONNECTIONS.
      poolConfig: { max: Number(process.env.POOL_SIZE ?? 10) },
    }),
  ],
  grafserv: { port, graphqlPath: "/graphql", graphiql: false, watch: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (e) => {
  console.error(e);
  process.exit(1);
});
await serv.addTo(server);
server.listen(port, "127.0.0.1", () => console.log(`postgraphile serving on http://127.0.0.1:${port}/graphql`));
