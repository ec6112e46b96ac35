// `finscope explain <code>`: what each finding means, why it happens and what to do about it.
// The same text appears under a finding in the UI's connection detail.

import type { FindingCode } from './types.js';
import { SEVERITY } from './findings.js';

export interface Explanation {
  code: FindingCode;
  title: string;
  meaning: string;
  causes: string[];
  actions: string[];
}

const E = (code: FindingCode, title: string, meaning: string, causes: string[], actions: string[]): Explanation =>
  ({ code, title, meaning, causes, actions });

export const EXPLANATIONS: Explanation[] = [
  E('lost-final-ack', 'The last ACK of the close was lost',
    'The passive closer (in LAST_ACK, or CLOSING after a simultaneous close) retransmitted its FIN after the active closer had sent, or must have sent, the final ACK. The ACK never arrived, so the passive side kept its socket and retried. A side in TIME_WAIT re-acknowledges the retransmitted FIN; that is exactly what TIME_WAIT is for (RFC 9293 3.6.1).',
    ['Packet loss on the return path (congested link, policer, overloaded middlebox).', 'A stateful firewall or NAT that dropped its entry on the first FIN and discards the last ACK.', 'The active closer\'s TIME_WAIT socket was gone (RST answered the retransmission): tcp_tw_reuse, an RST that killed TIME_WAIT, or net.ipv4.tcp_max_tw_buckets overflow.'],
    ['Check for loss on the path (retransmissions elsewhere in the capture, interface drops).', 'Make firewall/NAT TCP close timeouts longer than the peer\'s FIN retransmission time.', 'Do not shorten TIME_WAIT; if RSTs answer the retransmission, look at tcp_max_tw_buckets and tcp_tw_reuse.']),
  E('missing-peer-fin', 'The peer never sent its FIN',
    'One side closed and its FIN was acknowledged, but the other side never sent its own FIN before the capture ended or the connection was reset. The silent side sits in CLOSE_WAIT (its application has not called close()), the closing side in FIN_WAIT_2.',
    ['The application on the silent side leaks sockets: it read EOF but never closed (a missing close() on an error path, a connection pool that does not notice EOF).', 'The application is blocked or overloaded and has not reached close() yet.', 'A half-close by design (shutdown(SHUT_WR)) where the other side still had data to send.'],
    ['On the silent host, `ss -tanp state close-wait` shows the process holding the sockets; fix its close path.', 'Pools and proxies: detect EOF on idle connections and close them; set idle timeouts.', 'On the closing host an orphaned FIN_WAIT_2 socket is dropped after net.ipv4.tcp_fin_timeout (default 60 s).']),
  E('long-fin-wait-2', 'FIN_WAIT_2 lasted long',
    'After its FIN was acknowledged, a side waited longer than the limit (--fin-wait2, default 60 s, the Linux tcp_fin_timeout) for the peer\'s FIN. Thousands of such sockets are what `ss` shows as FIN-WAIT-2 on a busy proxy.',
    ['The peer\'s application is slow to close or never closes (see missing-peer-fin, long-close-wait).', 'A half-close where the peer keeps sending for a long time (normal for some protocols).'],
    ['Fix the peer\'s close path; meanwhile net.ipv4.tcp_fin_timeout bounds orphaned FIN_WAIT_2 sockets on Linux.', 'If the closer called shutdown() rather than close(), its socket is not orphaned and tcp_fin_timeout does not apply: add an application timeout.']),
  E('long-close-wait', 'CLOSE_WAIT lasted long',
    'The side that received the first FIN took longer than the limit (--close-wait, default 60 s) to send its own: the time between reading EOF and calling close() in its application.',
    ['A socket leak or a slow path in the application that received the FIN (the classic cause of CLOSE_WAIT piling up on a proxy).', 'Thread or event-loop starvation delaying close().'],
    ['Find the process with `ss -tanp state close-wait` and audit its close paths and timeouts.', 'There is no kernel timer for CLOSE_WAIT: only the application can end it (or keep-alive probes failing).']),
  E('fin-retransmitted', 'A FIN was sent more than once',
    'A FIN went out again because it was not acknowledged in time: from FIN_WAIT_1 (the active closer\'s FIN or its ACK was lost) or from LAST_ACK/CLOSING when no lost final ACK explains it. Linux sends a tail-loss probe first (about 2 RTT, often 200-300 ms on short paths), then retransmits with exponential backoff (RTO doubling from about 200 ms).',
    ['Loss of the FIN or of its ACK on the path.', 'The peer is not responding (crashed host, blackholed route) so its ACK never comes.'],
    ['Look for loss elsewhere in the capture; check middleboxes.', 'net.ipv4.tcp_orphan_retries bounds how often an orphaned socket retries its FIN.']),
  E('fin-unacked', 'A FIN was never acknowledged',
    'A side sent its FIN and no ACK for it appeared before the capture ended (and no RST ended the connection). The side is stuck in FIN_WAIT_1 or LAST_ACK, retransmitting.',
    ['The peer is gone or unreachable (crash, power loss, route or firewall change).', 'Everything in one direction is being dropped after the capture point.', 'The capture simply ended too soon after the FIN.'],
    ['Check that the peer is up and reachable; check firewall state tables.', 'Linux gives up after tcp_orphan_retries (orphaned) or tcp_retries2 retransmissions.']),
  E('reset-after-fin', 'The close began with FIN but ended with RST',
    'One side started an orderly close, but the connection ended with a reset. Often the FIN_WAIT_2 side had been dropped silently after tcp_fin_timeout, and later data from the peer met no socket (a bare RST without ACK); or an application closed with unread data in its receive buffer (RST+ACK).',
    ['The peer kept sending after the closer had closed (a protocol misunderstanding: the closer will not read any more).', 'An orphaned FIN_WAIT_2 socket expired (tcp_fin_timeout) before the peer\'s late data or FIN arrived.', 'close() with unread data in the receive queue (RFC 2525 2.17: the stack must send RST).'],
    ['Make both ends agree on who closes and when; drain the receive buffer before close().', 'If the peer is slow to close, raise tcp_fin_timeout only as a stopgap; fix the peer.']),
  E('abortive-close', 'Reset without a FIN',
    'The connection ended with a RST and no FIN from either side: an abortive close.',
    ['SO_LINGER with a zero timeout (some load balancers and HTTP clients do it on purpose to avoid TIME_WAIT).', 'close() with unread data in the receive buffer.', 'The process crashed or was killed and the kernel reset its sockets; or a middlebox injected the RST.'],
    ['If it is deliberate (SO_LINGER 0), confirm that the lost data, if any, is acceptable.', 'Otherwise find which side sent the RST (the finding\'s side) and check its logs for crashes or unread data.']),
  E('simultaneous-close', 'Both sides closed at once',
    'Each side sent its FIN before it had received the other\'s. Both pass through CLOSING and both end in TIME_WAIT (RFC 9293 figure 13). Harmless, but it doubles TIME_WAIT sockets.',
    ['Both applications close on a timer or on the same protocol event.'],
    ['Nothing to fix; if TIME_WAIT on both hosts matters, let one side close first.']),
  E('half-close', 'Data kept flowing after a FIN',
    'After one side\'s FIN was acknowledged, the other side kept sending data toward it (the first closer is in FIN_WAIT_2 and still receives). This is legal TCP (shutdown(SHUT_WR)) and some protocols rely on it.',
    ['A client that sends its request then shuts down its write side (rsh, some HTTP/1.0 clients, netcat -N).'],
    ['Nothing, if the first closer used shutdown(). If it used close(), the data will be answered with RST: see reset-after-fin.']),
  E('data-after-fin', 'Data sent after its own FIN',
    'A side sent new data with sequence numbers beyond its own FIN. RFC 9293 forbids it and Linux cannot do it; the data will be discarded or answered with RST.',
    ['A buggy TCP stack, a middlebox rewriting sequence numbers, or crafted traffic.', 'A capture artefact: a FIN seen twice with different sequence numbers.'],
    ['Identify the sending device; check middleboxes that touch sequence numbers (load balancers, WAN optimisers).']),
  E('time-wait-reuse', 'A 4-tuple was reused during TIME_WAIT',
    'A new SYN arrived on the same addresses and ports while a side of the previous connection was still in TIME_WAIT. Linux allows it when the new ISN or timestamp is higher (the server side accepts the SYN; the client side needs tcp_tw_reuse or an explicit bind with SO_REUSEADDR), and the old TIME_WAIT socket disappears.',
    ['Many short connections to one server ip:port from a small ephemeral port range.', 'Clients binding fixed source ports.'],
    ['Usually fine; if connections fail, widen net.ipv4.ip_local_port_range, use keep-alive/pooling, or spread over more server addresses.', 'Keep tcp_timestamps on: it is what makes early reuse safe (RFC 7323 appendix B).']),
  E('time-wait-assassination', 'A RST killed a TIME_WAIT socket',
    'A side in TIME_WAIT received a RST and (with net.ipv4.tcp_rfc1337=0, the Linux default) dropped its TIME_WAIT state at once. RFC 1337 describes the hazards: an old duplicate can then corrupt a new connection on the same 4-tuple, and a late FIN retransmission meets no socket.',
    ['The peer answered a late segment with RST (its own socket was already gone).', 'A middlebox or an attacker injected a RST.'],
    ['Set net.ipv4.tcp_rfc1337=1 to ignore RSTs in TIME_WAIT.', 'Find what sent the RST (the finding\'s detail names the side).']),
  E('time-wait-rst-ignored', 'A RST in TIME_WAIT was ignored',
    'A side in TIME_WAIT received a RST and kept its TIME_WAIT state: it acknowledged a later segment instead of answering with RST. This is the RFC 1337 protection (net.ipv4.tcp_rfc1337=1 on Linux), which keeps old duplicates away from new connections on the same 4-tuple.',
    ['The peer had no socket any more and answered a late segment with RST.', 'A middlebox or an attacker injected a RST.'],
    ['Nothing: the protection worked. Find out where the RST came from if it is unexpected.']),
  E('ephemeral-port-pressure', 'TIME_WAIT sockets near the ephemeral port limit',
    'At some moment the client-side TIME_WAIT sockets toward one server ip:port outnumbered half the ephemeral port range (--port-range, default the Linux 32768-60999). Each TIME_WAIT socket holds its port for that server for 60 s; past the range, connect() fails with EADDRNOTAVAIL or must reuse.',
    ['Many short-lived connections (no keep-alive, Connection: close) from one client to one server address and port.'],
    ['Use keep-alive and connection pooling; widen net.ipv4.ip_local_port_range; enable net.ipv4.tcp_tw_reuse for outgoing connections; spread over more server addresses or ports.']),
  E('not-closed', 'Still open at the end',
    'No FIN or RST was seen by the end of the capture (or before the connection went idle past the limit).',
    ['A long-lived connection (keep-alive, database pool, streaming).', 'The capture was too short to see the close.'],
    ['Nothing, unless such connections should have ended: then check idle timeouts on both sides.']),
  E('connection-refused', 'The SYN was refused',
    'The server answered the client\'s SYN with a RST: nothing was listening on that port (or a firewall rejected it with tcp-reset).',
    ['Service down or listening on another port or address.', 'A firewall rule with reject-with tcp-reset.'],
    ['Check the service and its listen address; check firewall rules.']),
  E('syn-unanswered', 'The SYN got no answer',
    'The client sent SYN (and retransmissions) and nothing came back in the capture.',
    ['A firewall dropping the SYN, a down host, a full SYN queue (net.ipv4.tcp_max_syn_backlog, somaxconn) without syncookies.', 'The capture point sees only one direction.'],
    ['Check reachability and firewall drops; check the server\'s listen backlog and syncookies.']),
  E('syn-ack-unanswered', 'The SYN/ACK got no answer',
    'The server answered a SYN with SYN/ACK and the client never acknowledged it: the handshake never completed. Linux keeps such a half-open connection in SYN_RECEIVED and sends the SYN/ACK again (1, 2, 4 ... s apart, net.ipv4.tcp_synack_retries times, 5 by default: about a minute), then drops it without a packet. A SYN/ACK sent once and never again was most likely a SYN cookie: with its SYN queue full, the server answers statelessly and keeps no socket.',
    ['A SYN flood from spoofed source addresses (many sources, one SYN each).', 'A scanner that sends SYNs from a raw socket while its host drops the SYN/ACKs (masscan with the firewall rule it recommends; without one, the host answers with a RST).', 'The SYN/ACK is lost on the way back (asymmetric routing, a firewall dropping it), or the capture sees only one direction.'],
    ['Many at once toward one service: check "possible SYN flooding" in the server\'s kernel log, net.ipv4.tcp_syncookies, tcp_max_syn_backlog and the listen backlog; filter the sources upstream.', 'Few: check the return path from the server to those clients.']),
  E('capture-missed-packets', 'The capture missed packets',
    'One side acknowledged data (or a FIN) that never appeared in the capture: the capture itself dropped packets (kernel buffer overflow, snaplen-independent), or the traffic took another path.',
    ['tcpdump could not keep up (see "packets dropped by kernel" at its exit); asymmetric routing; a mirror port dropping.'],
    ['Capture with a larger buffer (-B), a capture filter, or on the host itself; treat verdicts on these connections with care.']),
];

export function explain(code: string): Explanation | undefined {
  return EXPLANATIONS.find((e) => e.code === code);
}

/** The whole explanation as text (CLI and UI share it). */
export function explanationText(e: Explanation): string {
  return [
    `${e.code} (${SEVERITY[e.code]}): ${e.title}`,
    '',
    e.meaning,
    '',
    'Likely causes:',
    ...e.causes.map((c) => `  - ${c}`),
    '',
    'What to do:',
    ...e.actions.map((a) => `  - ${a}`),
  ].join('\n');
}
