/**
 * Why a member left. Leaving is not an error; every way out has one of these.
 * See docs/protocol.md, "Leave reasons".
 */
export type LeaveReason =
  | 'client quit'
  | 'socket error'
  | 'socket closed'
  | 'server shutdown'
  | 'slow consumer'
  | 'idle timeout'
  | 'chat unavailable'
  | 'internal error';

/** Every leave reason, in the order docs/protocol.md lists them. */
export const LEAVE_REASONS: readonly LeaveReason[] = [
  'client quit',
  'socket error',
  'socket closed',
  'server shutdown',
  'slow consumer',
  'idle timeout',
  'chat unavailable',
  'internal error'
];
