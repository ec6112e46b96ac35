// The decode stage reads a record's bytes in place and overwrites one PacketView per packet
// (gopacket's DecodingLayerParser idea): no objects, strings or slices per packet.

/** What decodePacket found. TCP is the only kind the flow stage consumes; the rest are counted. */
export const enum DecodeKind {
  Tcp = 0,
  /** Header lies: lengths past the packet, IHL < 5, data offset < 5, chain too long... */
  Malformed = 1,
  /** Snaplen cut the packet before the TCP header ended (not a lie, just short). */
  Truncated = 2,
  Udp = 3,
  Icmp = 4,
  Icmp6 = 5,
  /** Other IP protocols (GRE, ESP, SCTP, ...). */
  OtherIp = 6,
  /** A non-first IPv4/IPv6 fragment: no transport header in it. */
  Fragment = 7,
  Arp = 8,
  /** Ethernet/SLL frames whose ethertype is not IP/ARP (LLDP, STP, ...), and 802.3 LLC frames. */
  OtherLink = 9,
  /** A link type we do not decode. */
  UnsupportedLink = 10,
}

/** Names used in reports for DecodeKind, indexed by the enum value. */
export const DECODE_KIND_NAMES = [
  'tcp', 'malformed', 'truncated', 'udp', 'icmp', 'icmp6', 'other-ip', 'ip-fragment', 'arp',
  'other-link', 'unsupported-link',
] as const;

export const TCP_FIN = 0x001;
export const TCP_SYN = 0x002;
export const TCP_RST = 0x004;
export const TCP_PSH = 0x008;
export const TCP_ACK = 0x010;
export const TCP_URG = 0x020;
export const TCP_ECE = 0x040;
export const TCP_CWR = 0x080;
/** The ninth flag (AE / NS, RFC 3540), bit 0 of byte 12. */
export const TCP_AE = 0x100;

// Non-fatal oddities on a packet that still decoded, as bits of PacketView.anomalies. They are
// counted apart from malformed reasons because the packet is used as usual.
/** IPv4 total length 0: TSO/GSO capture on the sending host; the captured length was used. */
export const ANOMALY_IPV4_TOTAL_LENGTH_ZERO = 0x1;
/** IPv6 payload length 0 without a jumbo option (Linux BIG TCP / GSO); the captured length was used. */
export const ANOMALY_IPV6_PAYLOAD_LENGTH_ZERO = 0x2;
/** IPv6 jumbogram (RFC 2675): the payload length came from the hop-by-hop Jumbo Payload option. */
export const ANOMALY_IPV6_JUMBO = 0x4;
/** A TCP option had a bad length (0, 1, past the header, wrong for its kind); parsing stopped/skipped it. */
export const ANOMALY_TCP_OPTIONS = 0x8;
/**
 * The IP length claims more bytes than the frame had on the wire (record original length), so it
 * cannot be a snaplen cut: the length was clamped to the frame, as Wireshark does.
 */
export const ANOMALY_IP_LENGTH_EXCEEDS_FRAME = 0x10;
/** Names of the anomaly bits, indexed by bit position (bit i = 1 << i). */
export const ANOMALY_NAMES = [
  'ipv4-total-length-zero', 'ipv6-payload-length-zero', 'ipv6-jumbo', 'tcp-options', 'ip-length-exceeds-frame',
] as const;

// Encapsulations decodePacket steps through to reach the packet it describes, as
// PacketView.tunnelKind. Names for reports in TUNNEL_KIND_NAMES, indexed by the value.
export const TUNNEL_NONE = 0;
/** IP protocol 4: IPv4 inside IPv4 or IPv6 (RFC 2003; DS-Lite). */
export const TUNNEL_IP_IN_IP = 1;
/** IP protocol 41: IPv6 inside IPv4 (6in4, 6to4, ISATAP) or IPv6. */
export const TUNNEL_IPV6_IN_IP = 2;
/** GRE (IP protocol 47, RFC 2784/2890): IP, transparent Ethernet bridging, PPTP's PPP, Aruba 802.11. */
export const TUNNEL_GRE = 3;
/** ERSPAN type I, II and III (GRE protocol 0x88BE / 0x22EB): mirrored Ethernet frames. */
export const TUNNEL_ERSPAN = 4;
/** VXLAN (UDP 4789, RFC 7348): Ethernet frames. */
export const TUNNEL_VXLAN = 5;
/** Geneve (UDP 6081, RFC 8926). */
export const TUNNEL_GENEVE = 6;
/** GTP-U G-PDUs (UDP 2152, 3GPP TS 29.281). */
export const TUNNEL_GTP_U = 7;
/** Teredo (UDP 3544 or recognised by content, RFC 4380). */
export const TUNNEL_TEREDO = 8;
/** PPPoE session stage (ethertype 0x8864, RFC 2516). */
export const TUNNEL_PPPOE = 9;
export const TUNNEL_KIND_NAMES = [
  'none', 'ip-in-ip', 'ipv6-in-ip', 'gre', 'erspan', 'vxlan', 'geneve', 'gtp-u', 'teredo', 'pppoe',
] as const;

/**
 * One packet's decoded fields, overwritten for every packet. Numbers only; addresses are kept as
 * 32-bit words so the flow table can hash them without formatting.
 */
export class PacketView {
  /** Set by the decoder: the DecodeKind of this packet. */
  kind: DecodeKind = DecodeKind.Malformed;
  /** When kind is Malformed or Truncated: a short stable reason ('ipv4-ihl', 'tcp-data-offset', ...). */
  problem = '';

  // --- link layer
  linkType = 0;
  /** Number of VLAN tags (802.1Q / 802.1ad) stripped, those of frames inside tunnels included. */
  vlanDepth = 0;
  /** Outermost VLAN id, or -1. */
  vlanId = -1;
  /**
   * Encapsulations decoded through to reach the packet the IP and TCP fields describe (VXLAN, GRE,
   * PPPoE, ...; at most MAX_TUNNEL_DEPTH), 0 for a plain packet. The fields below the link layer
   * are then the inner packet's, so the flow stage keys connections on the inner 4-tuple, as Zeek does.
   */
  tunnelDepth = 0;
  /** TUNNEL_* value of the innermost encapsulation when tunnelDepth > 0, else TUNNEL_NONE. */
  tunnelKind = 0;

  // --- network layer
  /** 4 or 6 when an IP header was decoded, else 0. */
  ipVersion: 0 | 4 | 6 = 0;
  /**
   * Source / destination address words. IPv4: word 0 holds the address (unsigned, network order as
   * a number, e.g. 10.0.0.1 = 0x0a000001), words 1-3 are 0. IPv6: four big-endian words.
   */
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  /** IP protocol / IPv6 final next header. */
  ipProtocol = 0;
  ttl = 0;
  /** IP total length from the header (IPv4 total length; IPv6 40 + payload length). */
  ipTotalLength = 0;
  /** True when this is a first fragment (MF set, offset 0): TCP header present, payload incomplete. */
  firstFragment = false;
  /** IPv4 header length (IHL * 4), or IPv6 40 + extension headers: where the transport header starts. */
  ipHeaderLength = 0;
  /** IPv4 identification (lets the flow stage tell a duplicated capture from a retransmission), else -1. */
  ipId = -1;
  /** ANOMALY_* bits: oddities that did not stop the decode. 0 for almost every packet. */
  anomalies = 0;
  /**
   * Offset in `data` where the frame ended on the wire (offset + original length), or -1 when the
   * caller did not pass the original length. Lets the decoder tell a snaplen cut from a lying length.
   */
  wireEnd = -1;

  // --- TCP
  srcPort = 0;
  dstPort = 0;
  /** Unsigned 32-bit sequence number. */
  seq = 0;
  /** Unsigned 32-bit acknowledgement number. */
  ack = 0;
  /** All nine flags: TCP_FIN .. TCP_AE. */
  flags = 0;
  window = 0;
  /** TCP header length in bytes (data offset * 4). */
  tcpHeaderLength = 0;
  /** Payload length from the IP lengths (not the captured length: snaplen cuts payloads). */
  payloadLength = 0;
  /** Payload bytes actually present in the record. */
  capturedPayloadLength = 0;
  /** Offset of the TCP header in `data`. */
  tcpOffset = 0;
  /** Offset of the IP header in `data`. */
  ipOffset = 0;
  /** The record buffer this view points into (valid only during the record callback). */
  data: Buffer = EMPTY;
  /**
   * DataView over exactly `data`, made when `data` changes (the capture stage reuses one chunk
   * buffer for many records) and reused while it does not: multi-byte reads through a DataView
   * compile to one load instead of four byte loads and shifts. Internal to the decoder.
   */
  bytes: DataView = EMPTY_BYTES;

  // --- TCP options (-1 / false when absent)
  mss = -1;
  windowScale = -1;
  sackPermitted = false;
  /** Number of SACK blocks (0-4); edges in sackBlocks[2i], sackBlocks[2i+1]. */
  sackBlockCount = 0;
  readonly sackBlocks = new Uint32Array(8);
  hasTimestamp = false;
  tsVal = 0;
  tsEcr = 0;
}

const EMPTY = Buffer.alloc(0);
const EMPTY_BYTES = new DataView(new ArrayBuffer(0));
