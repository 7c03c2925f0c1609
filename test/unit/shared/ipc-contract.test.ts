import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ENGINE_CHANNELS,
  EVENT_CHANNELS,
  EventListeners,
  fail,
  isEventChannel,
  isRequestChannel,
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
import { checkPayload } from '../../../src-main/shared/request-validation.ts';

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
    const open = (api: TelltaleApi) => api.request('dialog.openCaptures', null);
    expectTypeOf<Awaited<ReturnType<typeof open>>>().toEqualTypeOf<Result<string[]>>();
    expectTypeOf<Parameters<TelltaleApi['on']>[0]>().toEqualTypeOf<EventChannel>();
    const wrong = (api: TelltaleApi) => {
      // @ts-expect-error device.detail needs a mac
      void api.request('device.detail', null);
      // @ts-expect-error no such channel
      void api.request('fs.readFile', null);
    };
    // what the compiler refuses, the receiving side refuses too (a page is not type-checked)
    const sent: [unknown, unknown][] = [];
    const api: TelltaleApi = {
      request: (channel, payload) => {
        sent.push([channel, payload]);
        return Promise.resolve(fail('unavailable', 'recorded only'));
      },
      on: () => () => undefined,
      pathsForFiles: () => Promise.resolve(fail('unavailable', 'recorded only')),
    };
    void open(api);
    wrong(api);
    expect(sent).toEqual([
      ['dialog.openCaptures', null],
      ['device.detail', null],
      ['fs.readFile', null],
    ]);
    expect(sent.map(([channel]) => isRequestChannel(channel))).toEqual([true, true, false]);
    expect(checkPayload('dialog.openCaptures', null)).toEqual({ ok: true, value: null });
    expect(checkPayload('device.detail', null)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });

  it('delivers events to their subscribers until they unsubscribe, and ignores unknown events', () => {
    const listeners = new EventListeners();
    const got: unknown[] = [];
    const off = listeners.on('engine.status', (s) => got.push(['a', s]));
    listeners.on('engine.status', (s) => got.push(['b', s]));
    listeners.on('snapshot', (s) => got.push(['snapshot', s]));
    listeners.dispatch('engine.status', 1);
    listeners.dispatch('fs.readFile', 2);
    listeners.dispatch('__proto__', 3);
    off();
    listeners.dispatch('engine.status', 4);
    expect(got).toEqual([
      ['a', 1],
      ['b', 1],
      ['b', 4],
    ]);
    expect(EVENT_CHANNELS.map(isEventChannel)).toEqual(EVENT_CHANNELS.map(() => true));
    expect([isEventChannel('fs.readFile'), isEventChannel(undefined)]).toEqual([false, false]);
  });
});
