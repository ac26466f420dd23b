/**
 * Seeded pseudo-random numbers shared by every room (generator, dataset builders, training, sampling).
 *
 * xoshiro128** (Blackman & Vigna): 128 bits of state in four uint32 words, fast with 32-bit integer ops in JS.
 * The state is plain data (`state()` / `Rng.fromState`) so a training checkpoint can store it and a resumed run
 * draws the same numbers as an uninterrupted one.
 */
export type RngState = [number, number, number, number];

export class Rng {
  private s: Uint32Array;

  /** A seed is a number or a string (e.g. a cache key); both are expanded to 128 bits with splitmix32. */
  constructor(seed: number | string) {
    let x = typeof seed === 'number' ? (seed >>> 0) ^ Math.floor(seed / 2 ** 32) : hashString(seed);
    this.s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((w) => w === 0)) this.s[0] = 1; // the all-zero state is a fixed point
  }

  static fromState(state: RngState): Rng {
    const r = new Rng(0);
    r.s.set(state);
    return r;
  }

  state(): RngState {
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  /** Next uint32. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform float in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n > 0) || !Number.isInteger(n)) throw new RangeError(`Rng.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi] inclusive. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher–Yates shuffle; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** k distinct items drawn uniformly without replacement (order random). */
  sample<T>(items: readonly T[], k: number): T[] {
    if (k > items.length) throw new RangeError(`Rng.sample: asked for ${k} of ${items.length} items`);
    const copy = items.slice();
    for (let i = 0; i < k; i++) {
      const j = i + this.int(copy.length - i);
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, k);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * 32-bit FNV-1a over a sequence of values, each folded in as one unit (its low 32 bits, not byte by byte). `h` is the
 * starting hash, so hashes can be chained: fnv1a32(b, fnv1a32(a)) hashes a then b. Returns an unsigned value.
 */
export function fnv1a32(values: ArrayLike<number>, h = 0x811c9dc5): number {
  for (let i = 0; i < values.length; i++) h = Math.imul(h ^ values[i], 0x01000193);
  return h >>> 0;
}

/** FNV-1a of a string's UTF-16 code units: only used to turn a string seed into a number. */
function hashString(text: string): number {
  return fnv1a32(Uint16Array.from({ length: text.length }, (_, i) => text.charCodeAt(i)));
}
