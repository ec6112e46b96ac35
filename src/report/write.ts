// One entry for every output format, all written from the same model through a Sink.

import { writeCsvReport } from './csv.js';
import { writeJsonReport, writeNdjsonReport, type ConnectionWriteOptions } from './json.js';
import { writeMarkdownReport } from './markdown.js';
import type { ReportModel } from './model.js';
import type { Sink } from './sink.js';
import { writeTextReport, type TextOptions } from './text.js';

export const FORMATS = ['text', 'json', 'ndjson', 'csv', 'markdown'] as const;
export type Format = typeof FORMATS[number];

/** The text report's options, and how many threads the JSON and NDJSON reports may use. */
export type WriteOptions = TextOptions & ConnectionWriteOptions;

export async function writeReport(sink: Sink, format: Format, model: ReportModel, options: WriteOptions): Promise<void> {
  switch (format) {
    case 'text': return writeTextReport(sink, model, options);
    case 'json': return writeJsonReport(sink, model, options);
    case 'ndjson': return writeNdjsonReport(sink, model, options);
    case 'csv': return writeCsvReport(sink, model);
    case 'markdown': return writeMarkdownReport(sink, model);
  }
}
