// Twin of subprocess_exit.py.
import {
  ReadTransport,
  SubprocessProtocol,
  type SubprocessTransport,
  WriteTransport,
} from "../../mod.ts";
import { b, concat, getRunningLoop, type Printable, run, type Trace } from "./_trace.ts";

const loop = getRunningLoop();
const SCRIPT = "cat; printf err >&2; exit 3";

class Child extends SubprocessProtocol {
  transport!: SubprocessTransport;
  readonly data: Record<number, Uint8Array> = { 1: new Uint8Array(0), 2: new Uint8Array(0) };
  exited = false;
  constructor(readonly t: Trace, readonly lost: { setResult(v: null): void }) {
    super();
  }
  override connectionMade(transport: SubprocessTransport) {
    this.transport = transport;
    this.t.log("child", "connection_made, returncode", transport.getReturncode());
  }
  override pipeDataReceived(fd: number, data: Uint8Array) {
    this.data[fd] = concat(this.data[fd], data);
  }
  override pipeConnectionLost(fd: number, exc: Error | null) {
    if (fd === 0) {
      this.t.log("child", "pipe_connection_lost 0", exc, "exited before", this.exited);
    } else {
      this.t.log(`pipe${fd}`, "pipe_connection_lost", exc, "after", this.data[fd]);
    }
  }
  override processExited() {
    this.t.log("child", "process_exited, returncode", this.transport.getReturncode());
    this.exited = true;
  }
  override connectionLost(exc: Error | null) {
    this.t.log(
      "child",
      "connection_lost",
      exc,
      "exited",
      this.exited,
      "returncode",
      this.transport.getReturncode(),
    );
    this.lost.setResult(null);
  }
}

run(async (t) => {
  const lost = loop.createFuture<null>();
  const proto = new Child(t, lost);
  const [tr] = await loop.subprocessExec(() => proto, "/bin/sh", ["-c", SCRIPT]);
  t.log("child", "subprocess_exec returned, returncode", tr.getReturncode());
  const stdin = tr.getPipeTransport(0) as WriteTransport;
  const stdout = tr.getPipeTransport(1);
  t.log("child", "stdin is WriteTransport", stdin instanceof WriteTransport);
  t.log(
    "child",
    "stdout is ReadTransport",
    stdout instanceof ReadTransport,
    "is WriteTransport",
    stdout instanceof WriteTransport,
  );
  stdin.write(b("to cat"));
  stdin.close();
  t.log("child", "stdin closed, is_closing", stdin.isClosing());
  await lost;
  t.log("child", "returncode", tr.getReturncode());
  try {
    tr.sendSignal(15);
    t.log("child", "send_signal after exit: ok");
  } catch (e) {
    t.log("child", "send_signal after exit:", e as Printable);
  }
  tr.close();
});
