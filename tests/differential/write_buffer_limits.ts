// Twin of write_buffer_limits.py.
import { DatagramProtocol, Protocol } from "../../mod.ts";
import { getRunningLoop, type Printable, run, type Trace } from "./_trace.ts";

run(async (t: Trace) => {
  const loop = getRunningLoop();
  const server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
  const port = (server.sockets[0].addr as Deno.NetAddr).port;
  const [tcp] = await loop.createConnection(() => new Protocol(), "127.0.0.1", port);
  const [udp] = await loop.createDatagramEndpoint(() => new DatagramProtocol(), {
    localAddr: ["127.0.0.1", 0],
  });
  for (const [name, tr] of [["tcp", tcp], ["udp", udp]] as const) {
    t.log(name, "default", tr.getWriteBufferLimits(), tr.getWriteBufferSize());
    const settings: [number | undefined, number | undefined][] = [
      [100, undefined],
      [undefined, 10],
      [0, undefined],
      [40, 40],
      [undefined, 0],
    ];
    for (const [high, low] of settings) {
      tr.setWriteBufferLimits(high, low);
      t.log(name, "set", high, low, tr.getWriteBufferLimits());
    }
    const bad: [number | undefined, number | undefined][] = [[5, 10], [-1, undefined], [
      undefined,
      -1,
    ]];
    for (const [high, low] of bad) {
      try {
        tr.setWriteBufferLimits(high, low);
        t.log(name, "set", high, low, "accepted");
      } catch (e) {
        t.log(name, "set", high, low, e as Printable);
      }
    }
    t.log(name, "after errors", tr.getWriteBufferLimits());
    tr.close();
  }
  server.close();
  await server.waitClosed();
});
