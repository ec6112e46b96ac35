// LINKTYPE_* values as written in pcap/pcapng files (https://www.tcpdump.org/linktypes.html).
// Names follow libpcap's pcap_datalink_val_to_name() so they match what tcpdump -D / capinfos say.

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
/** DLT_RAW on most BSDs; older writers put the DLT value straight into the file. */
export const LINKTYPE_DLT_RAW_12 = 12;
/** DLT_RAW on OpenBSD (BSD/OS uses 14 too). */
export const LINKTYPE_DLT_RAW_14 = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/** Link types decodePacket understands; everything else is DecodeKind.UnsupportedLink. */
export function isSupportedLinkType(linkType: number): boolean {
  switch (linkType) {
    case LINKTYPE_NULL:
    case LINKTYPE_ETHERNET:
    case LINKTYPE_DLT_RAW_12:
    case LINKTYPE_DLT_RAW_14:
    case LINKTYPE_RAW:
    case LINKTYPE_LOOP:
    case LINKTYPE_LINUX_SLL:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
    case LINKTYPE_LINUX_SLL2:
      return true;
    default:
      return false;
  }
}

/**
 * Report names for link types: the supported ones plus the ones users commonly feed us by mistake
 * (Wi-Fi monitor mode, PPP, NFLOG, USB), so "unsupported link type" can say which one it was.
 */
export const LINK_TYPE_NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'EN10MB',
  6: 'IEEE802',
  8: 'SLIP',
  9: 'PPP',
  10: 'FDDI',
  12: 'RAW',
  14: 'RAW',
  50: 'PPP_HDLC',
  51: 'PPP_ETHER',
  101: 'RAW',
  104: 'C_HDLC',
  105: 'IEEE802_11',
  108: 'LOOP',
  109: 'ENC',
  113: 'LINUX_SLL',
  117: 'PFLOG',
  119: 'PRISM_HEADER',
  127: 'IEEE802_11_RADIO',
  143: 'DOCSIS',
  192: 'PPI',
  195: 'IEEE802_15_4_WITHFCS',
  197: 'ERF',
  220: 'USB_LINUX_MMAPPED',
  228: 'IPV4',
  229: 'IPV6',
  239: 'NFLOG',
  249: 'USBPCAP',
  252: 'WIRESHARK_UPPER_PDU',
  253: 'NETLINK',
  276: 'LINUX_SLL2',
};

/** Name for reports: the libpcap name, or `LINKTYPE_<n>` when we do not know it. Not for hot paths. */
export function linkTypeName(linkType: number): string {
  const known = LINK_TYPE_NAMES[linkType];
  if (known !== undefined) return known;
  // LINKTYPE_USER0..15 (147-162) are for private use: test suites and odd tools write them.
  if (linkType >= 147 && linkType <= 162) return `USER${linkType - 147}`;
  return `LINKTYPE_${linkType}`;
}
