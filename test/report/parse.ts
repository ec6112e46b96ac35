// Small independent parsers the format tests read the output back with.

/** RFC 4180: fields separated by commas, records by CRLF, quoted fields may hold anything ("" = "). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let fieldStarted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i++; continue;
      }
      field += c; i++; continue;
    }
    if (c === '"' && !fieldStarted) { quoted = true; fieldStarted = true; i++; continue; }
    if (c === '"') throw new Error(`bare quote inside an unquoted field at ${i}`);
    if (c === ',') { row.push(field); field = ''; fieldStarted = false; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; fieldStarted = false; i += 2; continue; }
    if (c === '\n' || c === '\r') throw new Error(`bare line break outside quotes at ${i} (RFC 4180 wants CRLF)`);
    field += c; fieldStarted = true; i++;
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

/** GitHub-flavoured Markdown tables: consecutive lines starting with '|', cells split on unescaped '|'. */
export function markdownTables(text: string): { header: string[]; rows: string[][] }[] {
  const tables: { header: string[]; rows: string[][] }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('|')) continue;
    const block: string[] = [];
    while (i < lines.length && lines[i].startsWith('|')) block.push(lines[i++]);
    const [header, separator, ...rows] = block.map(cells);
    if (separator === undefined || !separator.every((c) => /^:?-{3,}:?$/.test(c))) throw new Error(`table without a separator row: ${block[0]}`);
    tables.push({ header, rows });
  }
  return tables;
}

function cells(line: string): string[] {
  if (!line.startsWith('|') || !line.endsWith('|')) throw new Error(`table row must start and end with |: ${line}`);
  const out: string[] = [];
  let cell = '';
  for (let i = 1; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) { cell += c + line[++i]; continue; }
    if (c === '|') { out.push(cell.trim()); cell = ''; continue; }
    cell += c;
  }
  return out;
}

/** What a Markdown renderer shows for an escaped cell. */
export function unescapeMarkdown(cell: string): string {
  return cell.replace(/\\(.)/g, '$1').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
