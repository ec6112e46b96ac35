// Interface Description Block (draft-ietf-opsawg-pcapng section 4.2): link type, snaplen, and the
// options that change how packets are read (if_tsresol, if_tsoffset, if_fcslen) or shown to users
// (if_name, if_description, opt_comment).

import type { InterfaceInfo } from './types.js';
import {
  IF_DESCRIPTION, IF_FCSLEN, IF_NAME, IF_TSOFFSET, IF_TSRESOL, OPT_COMMENT, optionText, readOptions,
} from './pcapng-options.js';
import { scaleFromTsresol, type TimestampScale } from './timestamp.js';

/** What the framer needs per interface of the current section. */
export interface SectionInterface {
  linkType: number;
  snaplen: number;
  /** Largest caplen accepted; set by the framer, which knows the reader's limits. */
  caplenLimit: number;
  scale: TimestampScale;
  /** Index in CaptureInfo.interfaces. */
  index: number;
}

export interface ParsedInterface {
  iface: SectionInterface;
  info: InterfaceInfo;
  comments: string[];
  optionProblem: string | null;
}

/** Parses the IDB at buf[pos, pos + length); the caller has checked length >= 20. */
export function readPcapngInterface(
  buf: Buffer, pos: number, length: number, littleEndian: boolean, index: number, section: number,
): ParsedInterface {
  const linkType = littleEndian ? buf.readUInt16LE(pos + 8) : buf.readUInt16BE(pos + 8);
  const snaplen = littleEndian ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
  // No if_tsresol means microseconds (section 4.2).
  let tsresol = 6;
  let offsetSeconds = 0;
  let name: string | null = null;
  let description: string | null = null;
  let fcsLength: number | null = null;
  const comments: string[] = [];
  const list = readOptions(buf, pos + 16, pos + length - 4, littleEndian);
  for (const option of list.options) {
    const at = option.valueStart;
    switch (option.code) {
      case IF_NAME: name = optionText(buf, option); break;
      case IF_DESCRIPTION: description = optionText(buf, option); break;
      case OPT_COMMENT: comments.push(optionText(buf, option)); break;
      case IF_TSRESOL: if (option.valueLength >= 1) tsresol = buf[at]; break;
      case IF_FCSLEN: if (option.valueLength >= 1) fcsLength = buf[at]; break;
      case IF_TSOFFSET:
        // A signed 64-bit count of seconds; anything a real file holds fits a double exactly.
        if (option.valueLength >= 8) {
          offsetSeconds = Number(littleEndian ? buf.readBigInt64LE(at) : buf.readBigInt64BE(at));
        }
        break;
      default: break;
    }
  }
  const scale = scaleFromTsresol(tsresol, offsetSeconds);
  return {
    iface: { linkType, snaplen, caplenLimit: 0, scale, index },
    info: {
      linkType,
      snaplen,
      name,
      description,
      tsUnitsPerSecond: scale.unitsPerSecond,
      tsOffsetSeconds: offsetSeconds,
      fcsLength,
      section,
    },
    comments,
    optionProblem: list.problem,
  };
}
