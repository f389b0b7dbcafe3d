/**
 * Write buffers shared by every stream transport of the process. A transport
 * takes one when it has bytes to send and gives it back once they are sent:
 * an idle connection holds none, and a busy one allocates none per write
 * (a fresh array per message measured 6% off the ping-pong rate). Buffers
 * come in power-of-two sizes, so a small message borrows a small buffer.
 */

/** The smallest pooled buffer, as a power of two (256 B). */
const MIN_SHIFT = 8;
/**
 * The largest pooled buffer, as a power of two (64 KiB, what `sendfile` writes
 * at a time and twice the default high-water mark): larger writes are not pooled.
 */
const MAX_SHIFT = 16;
/** The largest size a pooled buffer has. */
export const MAX_POOLED_WRITE_BUFFER = 1 << MAX_SHIFT;
/** The most buffers kept of one size: 64, and at most 512 KiB of them (2.5 MiB in all). */
function maxPooled(shift: number): number {
  return Math.min(64, (512 * 1024) >> shift);
}
const pools: Uint8Array[][] = Array.from({ length: MAX_SHIFT + 1 }, () => []);

/** The size class of `length`: the smallest pooled size that holds it. */
function shiftFor(length: number): number {
  return Math.max(MIN_SHIFT, 32 - Math.clz32(length - 1));
}

/** A free pooled buffer of at least `length` bytes (at most {@linkcode MAX_POOLED_WRITE_BUFFER}). */
export function takeWriteBuffer(length: number): Uint8Array {
  const shift = shiftFor(length);
  return pools[shift].pop() ?? new Uint8Array(1 << shift);
}

/**
 * Gives `buffer` back for reuse; nothing may read or write it afterwards.
 * Buffers not of a pooled size, and any past the bound, are left to the GC.
 */
export function giveBackWriteBuffer(buffer: Uint8Array | null): void {
  if (buffer === null || buffer.length === 0 || buffer.length > MAX_POOLED_WRITE_BUFFER) return;
  const shift = shiftFor(buffer.length);
  const pool = pools[shift];
  if (buffer.length === 1 << shift && pool.length < maxPooled(shift)) pool.push(buffer);
}
