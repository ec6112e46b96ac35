// Address text for reports. Only called at the edge (never per packet), so it may allocate.

/**
 * `version` 4: words[0] holds the address (10.0.0.1 = 0x0a000001).
 * `version` 6: four big-endian words, written the RFC 5952 way: lowercase hex without leading
 * zeros (4.1, 4.3), the longest run of two or more zero groups shortened to "::", the first one on
 * a tie (4.2), and IPv4-mapped addresses as ::ffff:a.b.c.d (section 5).
 */
export function formatAddress(version: 4 | 6, words: Uint32Array): string {
  if (version === 4) return formatIpv4(words[0]);
  const groups = [
    words[0] >>> 16, words[0] & 0xffff, words[1] >>> 16, words[1] & 0xffff,
    words[2] >>> 16, words[2] & 0xffff, words[3] >>> 16, words[3] & 0xffff,
  ];
  if (words[0] === 0 && words[1] === 0 && words[2] === 0x0000ffff) return `::ffff:${formatIpv4(words[3])}`;

  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    // 4.2.2: a single zero group is never shortened.
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function formatIpv4(word: number): string {
  return `${word >>> 24}.${(word >>> 16) & 0xff}.${(word >>> 8) & 0xff}.${word & 0xff}`;
}
