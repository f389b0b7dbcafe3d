/**
 * The documentation JSR scores, checked from `deno doc --json` of the two
 * entrypoints: every exported symbol and every public member has a summary,
 * and examples show how to use them.
 */

import { assert, assertEquals } from "@std/assert";

interface JsDoc {
  doc?: string;
  tags?: { kind: string; doc?: string }[];
}

interface Member {
  name: string;
  jsDoc?: JsDoc;
  accessibility?: "public" | "protected" | "private";
}

interface Declaration {
  kind: string;
  declarationKind: string;
  jsDoc?: JsDoc;
  def?: { constructors?: Member[]; methods?: Member[]; properties?: Member[] };
}

interface DocJson {
  nodes: Record<string, {
    module_doc?: JsDoc;
    symbols: { name: string; declarations: Declaration[] }[];
  }>;
}

const ENTRYPOINTS = ["mod.ts", "testing.ts"];
const root = new URL("../", import.meta.url);

async function docJson(): Promise<DocJson> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", ...ENTRYPOINTS],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const decoder = new TextDecoder();
  assertEquals(code, 0, `deno doc --json failed: ${decoder.decode(stderr)}`);
  return JSON.parse(decoder.decode(stdout));
}

let cached: Promise<DocJson> | undefined;
const docs = () => cached ??= docJson();

/** An exported declaration, named `entrypoint: Symbol`. */
interface Exported {
  name: string;
  declaration: Declaration;
}

async function exported(): Promise<Exported[]> {
  const out: Exported[] = [];
  for (const [url, node] of Object.entries((await docs()).nodes)) {
    const entrypoint = url.slice(url.lastIndexOf("/") + 1);
    for (const symbol of node.symbols) {
      for (const declaration of symbol.declarations) {
        if (declaration.declarationKind !== "export") continue;
        out.push({ name: `${entrypoint}: ${symbol.name}`, declaration });
      }
    }
  }
  return out;
}

/** The public constructors, methods and properties of a class or interface, by name. */
function publicMembers({ name, declaration }: Exported): Map<string, Member[]> {
  const members = new Map<string, Member[]>();
  const { constructors = [], methods = [], properties = [] } = declaration.def ?? {};
  for (const member of [...constructors, ...methods, ...properties]) {
    if (member.accessibility === "private" || member.accessibility === "protected") continue;
    const key = `${name}.${member.name}`;
    members.set(key, [...members.get(key) ?? [], member]);
  }
  return members;
}

const hasSummary = (jsDoc?: JsDoc) => (jsDoc?.doc ?? "").trim().length > 0;
const hasExample = (jsDoc?: JsDoc) => (jsDoc?.tags ?? []).some((tag) => tag.kind === "example");

function assertNone(missing: string[], what: string): void {
  assert(missing.length === 0, `${missing.length} ${what}:\n  ${missing.join("\n  ")}`);
}

Deno.test("doc score: each entrypoint has a module doc with an example", async () => {
  const { nodes } = await docs();
  assertEquals(Object.keys(nodes).length, ENTRYPOINTS.length);
  const missing = Object.entries(nodes)
    .filter(([, node]) => !hasSummary(node.module_doc) || !hasExample(node.module_doc))
    .map(([url]) => url);
  assertNone(missing, "entrypoints without a module doc and an @example");
});

Deno.test("doc score: every exported symbol and public member has a JSDoc summary", async () => {
  const missing: string[] = [];
  for (const symbol of await exported()) {
    if (!hasSummary(symbol.declaration.jsDoc)) missing.push(symbol.name);
    for (const [name, overloads] of publicMembers(symbol)) {
      if (!overloads.some((member) => hasSummary(member.jsDoc))) missing.push(name);
    }
  }
  assertNone(missing, "exported symbols or public members without a JSDoc summary");
});

// Not yet: a few option interfaces and type aliases of the test kit have no @example. Turn this on
// once they have one.
Deno.test({
  name: "doc score: every exported symbol has an @example",
  ignore: true,
  async fn() {
    const missing = (await exported())
      .filter((symbol) => !hasExample(symbol.declaration.jsDoc))
      .map((symbol) => symbol.name);
    assertNone(missing, "exported symbols without an @example");
  },
});

// Not yet: most public methods have a summary but no @example of their own. Turn this on once
// every one has.
Deno.test({
  name: "doc score: every public method of an exported class has an @example",
  ignore: true,
  async fn() {
    const missing: string[] = [];
    for (const symbol of await exported()) {
      if (symbol.declaration.kind !== "class") continue;
      for (const method of symbol.declaration.def?.methods ?? []) {
        if (method.accessibility === "private" || method.accessibility === "protected") continue;
        if (!hasExample(method.jsDoc)) missing.push(`${symbol.name}.${method.name}`);
      }
    }
    assertNone([...new Set(missing)], "public methods without an @example");
  },
});

// Not yet: most examples print their result instead of asserting it. Turn this on once every
// example asserts with @std/assert.
Deno.test({
  name: "doc score: every @example of an exported symbol asserts with @std/assert",
  ignore: true,
  async fn() {
    const missing: string[] = [];
    for (const symbol of await exported()) {
      const examples = (symbol.declaration.jsDoc?.tags ?? []).filter((tag) =>
        tag.kind === "example"
      );
      if (examples.some((tag) => !(tag.doc ?? "").includes('from "@std/assert"'))) {
        missing.push(symbol.name);
      }
    }
    assertNone(missing, "exported symbols with an @example that asserts nothing");
  },
});

Deno.test("doc score: the test task lints the docs and checks for slow types", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  const task: string = config.tasks.test;
  assert(task.includes("deno doc --lint mod.ts testing.ts"), task);
  assert(task.includes("deno publish --dry-run"), task);
  assert(!task.includes("--allow-slow-types"), "slow types lower the JSR score");
});
