// Public entry of the flow stage: packets -> connections.
export { FlowTable, type ConnectionHandler } from './table.js';
export { unwrap, rel32, seqDistance } from './sequence.js';
export { SegmentLog } from './segment-log.js';
export {
  DEFAULT_FLOW_OPTIONS, SEG_ACKS_PEER_FIN, SEG_ACKS_UNSEEN, SEG_DATA_AFTER_FIN, SEG_FOLDED,
  SEG_KEEPALIVE, SEG_RETRANSMISSION, SEG_ZERO_WINDOW,
  type Connection, type Dir, type DirectionFacts, type EndReason, type FlowOptions, type FlowStats,
  type RoleReason, type Segment,
} from './types.js';
