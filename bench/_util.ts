/** Shared helpers of the benchmark scripts. */

/** A listener on 127.0.0.1, any port, and its port. */
export function listenLoopback(): [Deno.TcpListener, number] {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return [listener, listener.addr.port];
}

/** Runs `fn` `rounds` times and keeps the best (highest) rate. */
export async function best(rounds: number, fn: () => Promise<number>): Promise<number> {
  let top = 0;
  for (let i = 0; i < rounds; i++) top = Math.max(top, await fn());
  return top;
}

/** Prints one comparison line: `name: ours X, raw Y, ratio Rx (target >= T)`. */
export function report(
  name: string,
  unit: string,
  ours: number,
  raw: number,
  target: number,
): void {
  const ratio = ours / raw;
  const verdict = ratio >= target ? "ok" : "BELOW TARGET";
  console.log(
    `${name}: ours ${format(ours)} ${unit}, raw ${format(raw)} ${unit}, ` +
      `ratio ${ratio.toFixed(2)}x (target >= ${target}x) ${verdict}`,
  );
}

function format(value: number): string {
  return value >= 1e9
    ? `${(value / 1e9).toFixed(2)}G`
    : value >= 1e6
    ? `${(value / 1e6).toFixed(2)}M`
    : value >= 1e3
    ? `${(value / 1e3).toFixed(1)}k`
    : value.toFixed(1);
}
