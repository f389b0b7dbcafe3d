/**
 * The documentation JSR scores, checked from `deno doc --json` of the two
 * entrypoints: every exported symbol and every public member has a summary,
 * and examples show how to use them.
 */

import { assert, assertEquals } from "@std/assert";

interface JsDoc {
  doc?: string;
  tags?: { kind: string; doc?: string; name?: string }[];
}

interface Param {
  name?: string;
  arg?: { name?: string };
  left?: { name?: string };
}

interface TsType {
  repr?: string;
  kind?: string;
  typeRef?: { typeName?: string; typeParams?: TsType[] };
}

interface Member {
  name: string;
  jsDoc?: JsDoc;
  accessibility?: "public" | "protected" | "private";
  functionDef?: { params?: Param[]; returnType?: TsType };
  params?: Param[];
}

interface Declaration {
  kind: string;
  declarationKind: string;
  jsDoc?: JsDoc;
  def?: {
    constructors?: Member[];
    methods?: Member[];
    properties?: Member[];
    params?: Param[];
    returnType?: TsType;
  };
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

/** The public methods (getters included) of the exported classes, named `Class.method`. */
async function publicMethods(): Promise<{ name: string; method: Member }[]> {
  const out: { name: string; method: Member }[] = [];
  for (const symbol of await exported()) {
    if (symbol.declaration.kind !== "class") continue;
    for (const method of symbol.declaration.def?.methods ?? []) {
      if (method.accessibility === "private" || method.accessibility === "protected") continue;
      out.push({ name: `${symbol.name}.${method.name}`, method });
    }
  }
  return out;
}

const examples = (jsDoc?: JsDoc) => (jsDoc?.tags ?? []).filter((tag) => tag.kind === "example");
const asserts = (tag: { doc?: string }) => (tag.doc ?? "").includes('from "@std/assert"');
/** A titled example: text on the `@example` line, before the code fence. */
const titled = (tag: { doc?: string }) => !(tag.doc ?? "").trimStart().startsWith("```");
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

Deno.test("doc score: every exported symbol has an @example", async () => {
  const missing = (await exported())
    .filter((symbol) => !hasExample(symbol.declaration.jsDoc))
    .map((symbol) => symbol.name);
  assertNone(missing, "exported symbols without an @example");
});

Deno.test("doc score: every public method of an exported class has an @example", async () => {
  const missing: string[] = [];
  for (const { name, method } of await publicMethods()) {
    if (!hasExample(method.jsDoc)) missing.push(name);
  }
  assertNone([...new Set(missing)], "public methods without an @example");
});

Deno.test("doc score: every @example asserts with @std/assert", async () => {
  const missing: string[] = [];
  const { nodes } = await docs();
  for (const [url, node] of Object.entries(nodes)) {
    if (!examples(node.module_doc).every(asserts)) missing.push(`${url} (module doc)`);
  }
  for (const symbol of await exported()) {
    if (!examples(symbol.declaration.jsDoc).every(asserts)) missing.push(symbol.name);
  }
  for (const { name, method } of await publicMethods()) {
    if (!examples(method.jsDoc).every(asserts)) missing.push(name);
  }
  assertNone([...new Set(missing)], "@examples that assert nothing");
});

Deno.test("doc score: every @example has a title", async () => {
  const missing: string[] = [];
  const { nodes } = await docs();
  for (const [url, node] of Object.entries(nodes)) {
    if (!examples(node.module_doc).every(titled)) missing.push(`${url} (module doc)`);
  }
  for (const symbol of await exported()) {
    if (!examples(symbol.declaration.jsDoc).every(titled)) missing.push(symbol.name);
  }
  for (const { name, method } of await publicMethods()) {
    if (!examples(method.jsDoc).every(titled)) missing.push(name);
  }
  assertNone([...new Set(missing)], "@examples without a title");
});

Deno.test("doc score: every exported function and public method documents its parameters", async () => {
  const missing: string[] = [];
  const check = (name: string, jsDoc: JsDoc | undefined, params: Param[] | undefined) => {
    const documented = new Set(
      (jsDoc?.tags ?? []).filter((tag) => tag.kind === "param").map((tag) => tag.name),
    );
    for (const param of params ?? []) {
      const paramName = param.name ?? param.arg?.name ?? param.left?.name;
      if (paramName !== undefined && !documented.has(paramName)) {
        missing.push(`${name}(${paramName})`);
      }
    }
  };
  for (const symbol of await exported()) {
    if (symbol.declaration.kind === "function") {
      check(symbol.name, symbol.declaration.jsDoc, symbol.declaration.def?.params);
    }
  }
  for (const { name, method } of await publicMethods()) {
    check(name, method.jsDoc, method.functionDef?.params);
  }
  for (const symbol of await exported()) {
    for (const constructor of symbol.declaration.def?.constructors ?? []) {
      if (constructor.accessibility === "private" || constructor.accessibility === "protected") {
        continue;
      }
      check(`${symbol.name}.constructor`, constructor.jsDoc, constructor.params);
    }
  }
  assertNone([...new Set(missing)], "parameters without a @param");
});

/** Whether a return type is a value a caller gets: not `void`, not `Promise<void>`. */
function returnsValue(type: TsType | undefined): boolean {
  if (type === undefined || type.repr === "void") return false;
  if (type.kind === "typeRef" && type.typeRef?.typeName === "Promise") {
    return returnsValue(type.typeRef.typeParams?.[0]);
  }
  return true;
}

Deno.test("doc score: every exported function and public method with a result has @returns", async () => {
  const missing: string[] = [];
  const hasReturns = (jsDoc?: JsDoc) => (jsDoc?.tags ?? []).some((tag) => tag.kind === "return");
  for (const symbol of await exported()) {
    const { kind, jsDoc, def } = symbol.declaration;
    if (kind === "function" && returnsValue(def?.returnType) && !hasReturns(jsDoc)) {
      missing.push(symbol.name);
    }
  }
  for (const { name, method } of await publicMethods()) {
    if (returnsValue(method.functionDef?.returnType) && !hasReturns(method.jsDoc)) {
      missing.push(name);
    }
  }
  assertNone([...new Set(missing)], "functions and methods without @returns");
});

/** The local modules of both entrypoints' graphs whose JSDoc has an `@example`. */
async function modulesWithExamples(): Promise<string[]> {
  const modules = new Set<string>();
  for (const entrypoint of ENTRYPOINTS) {
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entrypoint],
      cwd: root,
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(120_000),
    }).output();
    assertEquals(code, 0, `deno info ${entrypoint} failed`);
    const info: { modules: { specifier: string }[] } = JSON.parse(new TextDecoder().decode(stdout));
    for (const { specifier } of info.modules) {
      if (specifier.startsWith(root.href)) modules.add(specifier);
    }
  }
  const withExamples: string[] = [];
  for (const specifier of modules) {
    const source = await Deno.readTextFile(new URL(specifier));
    if (source.includes("@example")) withExamples.push(specifier.slice(root.href.length));
  }
  return withExamples.sort();
}

// deno check --doc covers only the entrypoints' own examples: this runs every module's.
Deno.test("doc score: every @example runs and passes under deno test --doc", async () => {
  const modules = await modulesWithExamples();
  assert(modules.includes("loop/event_loop.ts"), modules.join(", "));
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--doc", "-A", ...modules],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(600_000),
  }).output();
  const decoder = new TextDecoder();
  const output = `${decoder.decode(stdout)}${decoder.decode(stderr)}`;
  assertEquals(code, 0, `deno test --doc failed:\n${output.slice(-4000)}`);
});

Deno.test("doc score: the test task lints the docs and checks for slow types", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  const task: string = config.tasks.test;
  assert(task.includes("deno doc --lint mod.ts testing.ts"), task);
  assert(task.includes("deno publish --dry-run"), task);
  assert(!task.includes("--allow-slow-types"), "slow types lower the JSR score");
});
