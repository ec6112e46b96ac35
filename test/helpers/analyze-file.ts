// Test glue: runs the real pipeline (capture -> decode -> flow) over one file and returns the
// rebuilt connections, for tests that compare them with something else (Zeek's conn.log, expected
// verdicts). Not the CLI's pipeline: no options, one input, everything kept in memory.

import { readCapture } from '../../src/capture/index.js';
import type { CaptureInfo, CaptureRecord } from '../../src/capture/types.js';
import { DecodeKind, decodePacket, PacketView } from '../../src/decode/index.js';
import { FlowTable, type Connection, type FlowOptions } from '../../src/flow/index.js';

export interface Rebuilt {
  /** Finished connections, sorted by id. */
  connections: Connection[];
  info: CaptureInfo;
  /** Records per DecodeKind value (index = DecodeKind). */
  decodeKinds: number[];
}

export async function rebuild(file: string, flowOptions: Partial<FlowOptions> = {}): Promise<Rebuilt> {
  const connections: Connection[] = [];
  const table = new FlowTable((c) => { connections.push(c); }, flowOptions);
  const view = new PacketView();
  const decodeKinds: number[] = [];
  const info = await readCapture(file, (rec: CaptureRecord) => {
    const kind = decodePacket(view, rec.linkType, rec.data, rec.offset, rec.capturedLength);
    decodeKinds[kind] = (decodeKinds[kind] ?? 0) + 1;
    const timeUs = rec.tsSec * 1e6 + Math.floor(rec.tsNsec / 1000);
    if (kind === DecodeKind.Tcp) table.add(view, timeUs, rec.packetNumber);
  }, { file });
  table.flush();
  connections.sort((a, b) => a.id - b.id);
  for (let i = 0; i < decodeKinds.length; i++) decodeKinds[i] ??= 0;
  return { connections, info, decodeKinds };
}
