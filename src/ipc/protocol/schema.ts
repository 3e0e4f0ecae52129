// A small schema checker for IPC messages: every received message is checked field by field
// before anyone looks at it; a mismatch names the field.

export type Check<T> = (v: unknown, field: string) => T;

export class ProtocolError extends Error {}

function fail(field: string, want: string, v: unknown): never {
  const got = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
  throw new ProtocolError(`field ${field}: expected ${want}, got ${got}`);
}

export const t = {
  int: ((v, f) => (Number.isSafeInteger(v) ? (v as number) : fail(f, 'integer', v))) as Check<number>,
  str: ((v, f) => (typeof v === 'string' ? v : fail(f, 'string', v))) as Check<string>,
  bytes: ((v, f) => (v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : fail(f, 'bytes', v))) as Check<Buffer>,
  bool: ((v, f) => (typeof v === 'boolean' ? v : fail(f, 'boolean', v))) as Check<boolean>,
  oneOf<L extends string>(values: readonly L[]): Check<L> {
    return (v, f) => (values.includes(v as L) ? (v as L) : fail(f, values.join('|'), v));
  },
  literal<L extends string | number>(lit: L): Check<L> {
    return (v, f) => (v === lit ? lit : fail(f, JSON.stringify(lit), v));
  },
  array<T>(item: Check<T>): Check<T[]> {
    return (v, f) => (Array.isArray(v) ? v.map((x, i) => item(x, `${f}[${i}]`)) : fail(f, 'array', v));
  },
  record<T>(item: Check<T>): Check<Record<string, T>> {
    return (v, f) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(f, 'map', v);
      const out: Record<string, T> = {};
      for (const [k, x] of Object.entries(v as object)) out[k] = item(x, `${f}.${k}`);
      return out;
    };
  },
  nullable<T>(item: Check<T>): Check<T | null> {
    return (v, f) => (v === null ? null : item(v, f));
  },
};

export type Shape = Record<string, Check<unknown>>;
export type Infer<S extends Shape> = { [K in keyof S]: S[K] extends Check<infer T> ? T : never };

export function object<S extends Shape>(shape: S): Check<Infer<S>> {
  return (v, f) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(f, 'map', v);
    const src = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, check] of Object.entries(shape)) out[k] = check(src[k], f ? `${f}.${k}` : k);
    return out as Infer<S>;
  };
}
