// pcapng options (draft-ietf-opsawg-pcapng section 3.5): code (16 bits), length (16 bits), value
// padded to 32 bits, ended by opt_endofopt or by the end of the block body. Only SHB and IDB options
// are read; packet blocks' options are skipped by the block length, so nothing here is on the hot path.

import { sanitizeText } from './sanitize.js';

export const OPT_ENDOFOPT = 0;
export const OPT_COMMENT = 1;
// Interface Description Block options (section 4.2).
export const IF_NAME = 2;
export const IF_DESCRIPTION = 3;
export const IF_TSRESOL = 9;
export const IF_FCSLEN = 13;
export const IF_TSOFFSET = 14;

export interface PcapngOption {
  code: number;
  /** Index of the value's first byte in the buffer. */
  valueStart: number;
  valueLength: number;
}

export interface OptionList {
  options: PcapngOption[];
  /** Null when the list is well formed; otherwise why parsing stopped (the options before it are kept). */
  problem: string | null;
}

/** Reads the options in buf[start, end). Never reads outside that range. */
export function readOptions(buf: Buffer, start: number, end: number, littleEndian: boolean): OptionList {
  const options: PcapngOption[] = [];
  let pos = start;
  while (end - pos >= 4) {
    const code = littleEndian ? buf.readUInt16LE(pos) : buf.readUInt16BE(pos);
    const length = littleEndian ? buf.readUInt16LE(pos + 2) : buf.readUInt16BE(pos + 2);
    if (code === OPT_ENDOFOPT) return { options, problem: null };
    const valueStart = pos + 4;
    if (valueStart + length > end) {
      return { options, problem: `option ${code} at +${pos - start} claims ${length} bytes, past the end of the block` };
    }
    options.push({ code, valueStart, valueLength: length });
    pos = valueStart + ((length + 3) & ~3);
  }
  // Ending without opt_endofopt is allowed; leftover bytes shorter than an option header are not.
  return { options, problem: pos < end && pos + 4 > end ? `${end - pos} stray bytes after the options` : null };
}

/** An option value as sanitised text (UTF-8 per section 3.5, control characters removed). */
export function optionText(buf: Buffer, option: PcapngOption): string {
  return sanitizeText(buf.toString('utf8', option.valueStart, option.valueStart + option.valueLength));
}
