// Shared by the decode tests: decode one frame into a fresh view.

import { decodePacket, PacketView } from '../../src/decode/index.js';

/**
 * Decodes `frame` (optionally cut to `capturedLength`) placed at a non-zero offset inside a larger
 * buffer, so any read that ignores `offset` or the captured end shows up as a wrong field.
 */
export function decodeFrame(
  linkType: number, frame: Uint8Array, capturedLength = frame.length, originalLength?: number,
): PacketView {
  const lead = 7;
  const buffer = Buffer.alloc(lead + frame.length + 64, 0xee);
  Buffer.from(frame).copy(buffer, lead);
  const view = new PacketView();
  decodePacket(view, linkType, buffer, lead, capturedLength, originalLength);
  return view;
}
