// Every decoder returns the DecodeKind it reached; these two also leave the reason on the view.
// Reasons are string literals, so setting one allocates nothing.

import { DecodeKind, type PacketView } from './packet-view.js';

/** The header lies (a length or count that cannot be true, whatever the snaplen was). */
export function malformed(view: PacketView, reason: string): DecodeKind {
  view.problem = reason;
  return DecodeKind.Malformed;
}

/** The record ends before a header does: snaplen, or a capture cut short. */
export function truncated(view: PacketView, reason: string): DecodeKind {
  view.problem = reason;
  return DecodeKind.Truncated;
}
