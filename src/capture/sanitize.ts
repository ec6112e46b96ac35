// Text from capture files (pcapng comments, if_name, if_description) ends up on terminals, in
// Markdown and in CSV. A crafted file must not be able to move the cursor, recolour or clear the
// screen (ESC / CSI / OSC sequences), or reorder what a reader sees (Unicode bidi overrides, the
// "Trojan Source" trick, CVE-2021-42574). So they are removed before anything else sees the text.

/** Complete ANSI escape sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), 8-bit CSI. */
const ANSI_SEQUENCE = /\u001b\[[0-?]*[ -/]*[@-~]|\u009b[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g;
/** Line breaks and tabs become one space so that multi-line comments stay readable on one line. */
const WHITESPACE_CONTROLS = /[\t\n\v\f\r]+/g;
/**
 * C0 controls (incl. ESC), DEL, C1 controls, and the bidi controls: LRM/RLM/ALM marks, the
 * embeddings and overrides LRE..RLO (U+202A-U+202E) and the isolates LRI..PDI (U+2066-U+2069).
 */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Strips control characters, escape sequences and bidi overrides from text read from a file. */
export function sanitizeText(s: string): string {
  return s.replace(ANSI_SEQUENCE, '').replace(WHITESPACE_CONTROLS, ' ').replace(CONTROLS, '');
}
