// Draws view-model lines. Each line is one <Text> holding its spans as SGR-styled text: one Ink node
// per line instead of one per span keeps a frame's layout and output work small (a 300 000-row list
// redraws in a few milliseconds). Lines are cut to the width by the view-models; truncate-end only
// guards against a miscounted cell.

import { useMemo } from 'react';
import { Box, Text } from 'ink';
import type { Line } from '../lines.js';
import { sgrTable, type Theme } from '../theme.js';

const RESET = '\x1b[0m';

export function styledLine(line: Line, table: Record<string, string>): string {
  let out = '';
  for (const s of line) {
    const on = table[s.tone ?? 'plain'];
    out += on === '' || s.text === '' ? s.text : on + s.text + RESET;
  }
  return out === '' ? ' ' : out;
}

export function Lines({ lines, theme }: { lines: readonly Line[]; theme: Theme }) {
  const table = useMemo(() => sgrTable(theme), [theme]);
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => <Text key={i} wrap="truncate-end">{styledLine(line, table)}</Text>)}
    </Box>
  );
}
