// One entry for every output format, all written from the same model through a Sink.

import { writeCsvReport } from './csv.js';
import { writeJsonReport, writeNdjsonReport } from './json.js';
import { writeMarkdownReport } from './markdown.js';
import type { ReportModel } from './model.js';
import type { Sink } from './sink.js';
import { writeTextReport, type TextOptions } from './text.js';

export const FORMATS = ['text', 'json', 'ndjson', 'csv', 'markdown'] as const;
export type Format = typeof FORMATS[number];

export async function writeReport(sink: Sink, format: Format, model: ReportModel, text: TextOptions): Promise<void> {
  switch (format) {
    case 'text': return writeTextReport(sink, model, text);
    case 'json': return writeJsonReport(sink, model);
    case 'ndjson': return writeNdjsonReport(sink, model);
    case 'csv': return writeCsvReport(sink, model);
    case 'markdown': return writeMarkdownReport(sink, model);
  }
}
