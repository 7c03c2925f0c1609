import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { UNOPENED_TTL_MS, UploadStore } from '../../../src-main/engine/upload-store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function store(): UploadStore {
  const d = mkdtempSync(join(tmpdir(), 'telltale-uploads-'));
  dirs.push(d);
  return new UploadStore(join(d, 'uploads'), 1 << 20);
}

describe('UploadStore.sweep', () => {
  it('deletes uploads a replaced session read, keeps unopened ones for a while, then deletes them too', async () => {
    const u = store();
    const a = await u.receive('a.pcap', Readable.from([Buffer.alloc(100)]), null);
    const b = await u.receive('b.pcap', Readable.from([Buffer.alloc(100)]), null);
    const t0 = Date.now();
    u.sweep(new Set([a]), t0); // a session opens a; b was uploaded by another page and is not opened yet
    expect(u.paths().sort()).toEqual([a, b].sort());
    u.sweep(new Set(), t0); // the session closes
    expect(u.paths()).toEqual([b]);
    u.sweep(new Set(), t0 + UNOPENED_TTL_MS + 1);
    expect(u.paths()).toEqual([]);
    expect(u.bytesUsed).toBe(0);
  });
});
