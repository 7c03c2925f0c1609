import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ENGINE_CHANNELS,
  EVENT_CHANNELS,
  REQUEST_CHANNELS,
  type EventChannel,
  type EventMap,
  type RequestChannel,
  type RequestMap,
  type RequestOf,
  type ResponseOf,
  type Result,
  type Snapshot,
  type TelltaleApi,
} from '../../../src-main/shared/ipc-contract.ts';

describe('the IPC contract', () => {
  it('lists each channel once, and the lists match the maps (type level)', () => {
    expect(new Set(REQUEST_CHANNELS).size).toBe(REQUEST_CHANNELS.length);
    expect(new Set(EVENT_CHANNELS).size).toBe(EVENT_CHANNELS.length);
    expect(ENGINE_CHANNELS).not.toContain('dialog.openCaptures');
    expectTypeOf<RequestChannel>().toEqualTypeOf<keyof RequestMap>();
    expectTypeOf<EventChannel>().toEqualTypeOf<keyof EventMap>();
  });

  it('types requests and answers per channel', () => {
    expectTypeOf<RequestOf<'device.rename'>>().toEqualTypeOf<{ mac: string; name: string | null }>();
    expectTypeOf<ResponseOf<'session.snapshot'>>().toEqualTypeOf<Snapshot>();
    expectTypeOf<TelltaleApi['request']>().parameter(0).toEqualTypeOf<RequestChannel>();
    // functions that are type-checked but never called
    const _open = (api: TelltaleApi) => api.request('dialog.openCaptures', null);
    expectTypeOf<Awaited<ReturnType<typeof _open>>>().toEqualTypeOf<Result<string[]>>();
    expectTypeOf<Parameters<TelltaleApi['on']>[0]>().toEqualTypeOf<EventChannel>();
    const wrong = (api: TelltaleApi) => {
      // @ts-expect-error device.detail needs a mac
      void api.request('device.detail', null);
      // @ts-expect-error no such channel
      void api.request('fs.readFile', null);
    };
    expect(typeof wrong).toBe('function');
  });
});
