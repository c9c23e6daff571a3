import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eagerWrappers } from '../../scripts/eager-wrappers.js';

const dir = mkdtempSync(join(tmpdir(), 'eager-wrappers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The generated column of each mapping on the first line, in order. */
function columns(mapFile: string): number[] {
  const { mappings } = JSON.parse(readFileSync(mapFile, 'utf8')) as { mappings: string };
  const digits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let column = 0;
  return (mappings.split(';')[0] as string).split(',').map((segment) => {
    let value = 0;
    let shift = 0;
    for (const char of segment) {
      const digit = digits.indexOf(char);
      value += (digit & 31) << shift;
      if (!(digit & 32)) break;
      shift += 5;
    }
    column += value & 1 ? -(value >>> 1) : value >>> 1;
    return column;
  });
}

describe('eagerWrappers (scripts/build.ts)', () => {
  it('parenthesizes top-level module wrappers that bind nothing lexically, and shifts the source map', () => {
    const file = join(dir, 'out.mjs');
    const code =
      'var g=(f)=>f;var a=g((e,t)=>{t.exports=()=>e}),b=g(()=>{return this}),c=g(async()=>{}),d=g((e)=>{x()});';
    writeFileSync(file, code);
    // One mapping per statement start, named by the text it points at.
    const points = ['var a', 'b=g', 'c=g', 'd=g', 'x()'].map((text) => code.indexOf(text));
    const encode = (n: number) => {
      let rest = n < 0 ? (-n << 1) | 1 : n << 1;
      let out = '';
      do {
        let digit = rest & 31;
        rest >>>= 5;
        if (rest > 0) digit |= 32;
        out += 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[digit];
      } while (rest > 0);
      return out;
    };
    const mappings = points.map((p, i) => `${encode(p - (points[i - 1] ?? 0))}AAA`).join(',');
    writeFileSync(`${file}.map`, JSON.stringify({ version: 3, sources: ['a.js'], names: [], mappings }));

    expect(eagerWrappers(file)).toBe(2);
    const out = readFileSync(file, 'utf8');
    expect(out).toBe(
      'var g=(f)=>f;var a=g((function(e,t){t.exports=()=>e})),b=g(()=>{return this}),c=g(async()=>{}),d=g((function(e){x()}));',
    );
    expect(columns(`${file}.map`)).toEqual(
      ['var a', 'b=g', 'c=g', 'd=g', 'x()'].map((text) => out.indexOf(text)),
    );
  });
});
