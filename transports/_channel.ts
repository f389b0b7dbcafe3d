/**
 * The byte channel: the only thing the stream transport knows of the endpoint
 * under it.
 */

/** A bidirectional byte pipe with op-level reads and writes. */
export interface ByteChannel {
  /**
   * Fills `p` from its start, in place, and resolves the count (> 0), or
   * `null` at end of stream. Never detaches or keeps `p`.
   */
  read(p: Uint8Array): Promise<number | null>;
  /**
   * Optional: resolves the next bytes (non-empty) in an array the caller may
   * keep, or `null` at end of stream. Channels whose reads land in memory of
   * their own (BYOB streams) offer it to save the copy into the caller's array.
   */
  readOwned?(): Promise<Uint8Array | null>;
  /** Sends a prefix of `p` and resolves its length; may keep `p` until then. */
  write(p: Uint8Array): Promise<number>;
  /** Whether `closeWrite` half-closes (sockets) rather than being unsupported (TLS). */
  readonly canCloseWrite: boolean;
  /** Half-closes the write side. */
  closeWrite(): Promise<void>;
  /**
   * Releases the endpoint; a pending read or write settles soon after.
   * Idempotent; the promise never rejects.
   */
  close(): Promise<void>;
}
