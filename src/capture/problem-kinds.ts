// Stable `kind` strings of CaptureProblem. They are part of the JSON output and of tests: change
// one only together with every consumer. The table with their meaning is at the top of index.ts.

export const ProblemKind = {
  // Opening the input.
  NotFound: 'not-found',
  PermissionDenied: 'permission-denied',
  IsDirectory: 'is-directory',
  // Recognising the input.
  EmptyFile: 'empty-file',
  NotACapture: 'not-a-capture',
  TruncatedHeader: 'truncated-header',
  UnsupportedVersion: 'unsupported-version',
  // Framing records and blocks.
  TruncatedRecord: 'truncated-record',
  CaplenTooLarge: 'caplen-too-large',
  CaplenExceedsBlock: 'caplen-exceeds-block',
  BadBlockLength: 'bad-block-length',
  BadBlockTrailer: 'bad-block-trailer',
  BadSectionHeader: 'bad-section-header',
  BadInterfaceId: 'bad-interface-id',
  BadOptions: 'bad-options',
  // The byte source.
  GzipError: 'gzip-error',
  ReadError: 'read-error',
  Aborted: 'aborted',
} as const;

export type ProblemKindName = (typeof ProblemKind)[keyof typeof ProblemKind];
