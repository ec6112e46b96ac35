// Per-layer resets. A decoder that reaches a layer writes every field of that layer, so a TCP
// packet after a TCP packet needs no reset at all; decodePacket calls these only when the previous
// packet reached a layer that this one did not (or a decoder stops half-way through its layer).
// Measured: resetting every field up front cost a fifth of the decode time.

import type { PacketView } from './packet-view.js';

/** IP-layer fields back to 'no IP header' (ipVersion is the caller's business). */
export function clearIpFields(view: PacketView): void {
  view.ipOffset = 0;
  view.ipProtocol = 0;
  view.ttl = 0;
  view.ipTotalLength = 0;
  view.ipHeaderLength = 0;
  view.ipId = -1;
  view.src.fill(0);
  view.dst.fill(0);
}

/** TCP fixed-header fields back to zero (tcpOffset is the caller's business), options too. */
export function clearTcpFields(view: PacketView): void {
  view.srcPort = 0;
  view.dstPort = 0;
  view.seq = 0;
  view.ack = 0;
  view.flags = 0;
  view.window = 0;
  view.tcpHeaderLength = 0;
  view.payloadLength = 0;
  view.capturedPayloadLength = 0;
  clearTcpOptions(view);
  view.tsVal = 0;
  view.tsEcr = 0;
}

/** Options to 'absent'. tsVal/tsEcr/sackBlocks are only meaningful behind their flags/counts. */
export function clearTcpOptions(view: PacketView): void {
  view.mss = -1;
  view.windowScale = -1;
  view.sackPermitted = false;
  view.sackBlockCount = 0;
  view.hasTimestamp = false;
}
