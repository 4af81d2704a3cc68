import { ChatError } from '../../app/errors.js';

/** A chaos run could not be carried out (the server is unreachable, …). */
export class ChaosError extends ChatError {
  override readonly name = 'ChaosError';
  override readonly code = 'CHAT_ERR_CHAOS';
}
