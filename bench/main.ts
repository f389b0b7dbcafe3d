/**
 * `deno task bench`: runs every `bench/*_bench.ts` script in its own process,
 * one after another, so each measures its raw baseline and the library in the
 * same run without the others' noise.
 */

const dir = new URL(".", import.meta.url);
const scripts = [...Deno.readDirSync(dir)]
  .map((entry) => entry.name)
  .filter((name) => name.endsWith("_bench.ts") && !name.startsWith("_"))
  .sort();
let failed = 0;
for (const name of scripts) {
  console.log(`== ${name}`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(name, dir).pathname],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) failed++;
}
if (failed > 0) {
  console.error(`${failed} benchmark script(s) failed`);
  Deno.exit(1);
}
