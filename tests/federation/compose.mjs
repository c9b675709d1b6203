// Composes subgraph SDL files into a supergraph with Apollo's composition library, as a gateway
// (rover, GraphOS) would, and prints the result as JSON on stdout:
//   {"ok": bool, "errors": [{code, message}], "hints": [{code, message}], "supergraphSdl": str|null}
// Usage: node compose.mjs NAME=FILE.graphql [NAME=FILE.graphql ...]   (tests/test_federation.py)
// The exit status is 0 whether or not composition succeeds (the JSON says which); 2 on bad usage.
import { readFileSync } from "node:fs";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

const args = process.argv.slice(2);
if (args.length === 0 || args.some((arg) => !/^[A-Za-z][\w-]*=.+$/.test(arg))) {
  console.error("usage: node compose.mjs NAME=FILE.graphql [NAME=FILE.graphql ...]");
  process.exit(2);
}

const services = args.map((arg) => {
  const [name, ...path] = arg.split("=");
  return {
    name,
    url: `http://${name}.invalid/graphql`, // composition needs one; nothing is called
    typeDefs: parse(readFileSync(path.join("="), "utf8")),
  };
});

const result = composeServices(services);
const errors = (result.errors ?? []).map((error) => ({
  code: error.extensions?.code ?? null,
  message: error.message,
}));
const hints = (result.hints ?? []).map((hint) => ({
  code: hint.definition?.code ?? null,
  message: hint.message,
}));
console.log(
  JSON.stringify({
    ok: errors.length === 0,
    errors,
    hints,
    supergraphSdl: result.supergraphSdl ?? null,
  }),
);
