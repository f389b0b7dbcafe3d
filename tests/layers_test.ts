/**
 * The library's dependencies point one way (see the README's "Architecture"):
 * every import of a library module goes to its own layer or a lower one, and
 * no run-time imports form a cycle. Type-only imports are erased at run time,
 * so they may close a cycle inside one layer, but they too must not point up.
 */

import { assertEquals } from "@std/assert";
import { dirname, join, normalize, relative } from "node:path";

const ROOT = normalize(join(import.meta.dirname!, ".."));

/** The layers, lowest first; a path belongs to the first layer with a matching prefix. */
const LAYERS: [name: string, prefixes: string[]][] = [
  ["errors and internal helpers", ["errors.ts", "_util/"]],
  ["transports", ["transports/"]],
  ["protocols", ["protocols/"]],
  ["endpoint factories", ["loop/endpoints/"]],
  ["event loop facade, futures and Server", ["loop/"]],
  ["public entry points", ["mod.ts", "testing.ts", "testing/"]],
];

function layerOf(path: string): number {
  const index = LAYERS.findIndex(([, prefixes]) =>
    prefixes.some((prefix) => prefix.endsWith("/") ? path.startsWith(prefix) : path === prefix)
  );
  if (index < 0) throw new Error(`${path} belongs to no layer: add it to LAYERS`);
  return index;
}

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^;"']*?\s+from\s+)?["'](\.[^"']+)["']/gm;

/** The relative imports of `source` (a module at `path`), resolved to repository paths. */
function importsOf(path: string, source: string): Edge[] {
  const edges: Edge[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const to = normalize(join(dirname(path), match[3]));
    edges.push({ from: path, to, typeOnly: match[2] !== undefined });
  }
  return edges;
}

/** Every edge that points from a layer to a higher one, as readable lines. */
function backEdges(edges: Edge[]): string[] {
  return edges
    .filter(({ from, to }) => layerOf(to) > layerOf(from))
    .map(({ from, to }) =>
      `${from} (${LAYERS[layerOf(from)][0]}) imports ${to} (${LAYERS[layerOf(to)][0]})`
    );
}

/** The run-time import cycles, each as `a -> b -> ... -> a`. */
function cycles(edges: Edge[]): string[] {
  const next = new Map<string, string[]>();
  for (const { from, to, typeOnly } of edges) {
    if (!typeOnly) next.set(from, [...(next.get(from) ?? []), to]);
  }
  const found: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, "visiting");
    stack.push(node);
    for (const to of next.get(node) ?? []) {
      if (state.get(to) === "visiting") {
        found.push([...stack.slice(stack.indexOf(to)), to].join(" -> "));
      } else if (state.get(to) === undefined) visit(to);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...next.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

async function libraryModules(dir = ROOT): Promise<string[]> {
  const paths: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    const rel = relative(ROOT, path);
    if (entry.isDirectory) {
      if (!["tests", "bench", "examples", "node_modules"].includes(rel) && !rel.startsWith(".")) {
        paths.push(...await libraryModules(path));
      }
    } else if (entry.name.endsWith(".ts")) {
      paths.push(rel);
    }
  }
  return paths.sort();
}

async function libraryEdges(): Promise<Edge[]> {
  const edges: Edge[] = [];
  for (const path of await libraryModules()) {
    edges.push(...importsOf(path, await Deno.readTextFile(join(ROOT, path))));
  }
  return edges;
}

Deno.test("layers: no library module imports a module of a higher layer", async () => {
  assertEquals(backEdges(await libraryEdges()), []);
});

Deno.test("layers: the library's run-time imports have no cycle", async () => {
  assertEquals(cycles(await libraryEdges()), []);
});

Deno.test("layers: the check sees a back-edge and a cycle when there is one", () => {
  const edges = [
    ...importsOf("transports/x.ts", 'import type { EventLoop } from "../loop/event_loop.ts";'),
    ...importsOf("loop/a.ts", 'import { b } from "./b.ts";'),
    ...importsOf("loop/b.ts", 'export { a } from "./a.ts";'),
  ];
  assertEquals(backEdges(edges), [
    "transports/x.ts (transports) imports loop/event_loop.ts (event loop facade, futures and Server)",
  ]);
  assertEquals(cycles(edges), ["loop/a.ts -> loop/b.ts -> loop/a.ts"]);
});
