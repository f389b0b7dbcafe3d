/**
 * Extra info worked out from a transport's other entries when first asked
 * for, so that a connection nobody asks about holds no copy of it.
 */

/** An entry of a transport's extra info that stands for a value derived on demand. */
export class DerivedExtra {
  readonly #derive: (extra: Record<string, unknown>) => unknown;

  /** `derive` makes the value from the transport's extra info. */
  constructor(derive: (extra: Record<string, unknown>) => unknown) {
    this.#derive = derive;
  }

  /** The value for `extra`, which holds this entry. */
  derive(extra: Record<string, unknown>): unknown {
    return this.#derive(extra);
  }
}
