// Types for the parts of pcap-parser (0.2.x, plain CommonJS, no bundled types) that the
// differential test uses. See node_modules/pcap-parser/lib/pcap-parser.js.
declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';

  export interface PcapParserGlobalHeader {
    magicNumber: number;
    majorVersion: number;
    minorVersion: number;
    gmtOffset: number;
    timestampAccuracy: number;
    snapshotLength: number;
    linkLayerType: number;
  }

  export interface PcapParserPacket {
    header: {
      timestampSeconds: number;
      timestampMicroseconds: number;
      capturedLength: number;
      originalLength: number;
    };
    data: Buffer;
  }

  export interface PcapParser extends EventEmitter {
    on(event: 'globalHeader', listener: (header: PcapParserGlobalHeader) => void): this;
    on(event: 'packet', listener: (packet: PcapParserPacket) => void): this;
    on(event: 'end', listener: () => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
  }

  export function parse(input: string | NodeJS.ReadableStream): PcapParser;

  const pcapParser: { parse: typeof parse };
  export default pcapParser;
}
